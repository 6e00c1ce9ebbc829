package org.postwarden.outbound;

/** Where alerts go. Implementations must not block the caller (an event loop may raise an alert). */
public interface AlertSink {

    /** Raises {@code alert}: returns at once; delivery (log, metric, webhook, mail) happens as configured. */
    void raise(Alert alert);

    /** Drops every alert (tests, and the outbound guard when nothing is configured to receive them). */
    AlertSink NONE = a -> { };
}
