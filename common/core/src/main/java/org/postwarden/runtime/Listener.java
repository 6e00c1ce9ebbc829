package org.postwarden.runtime;

import java.time.Duration;

/** A network listener (policy, milter, HTTP, syslog...). */
public interface Listener {

    /** Bounded name for logs and metrics, e.g. "policy". */
    String name();

    /** Binds and starts serving; throws when the address cannot be bound. */
    void start() throws Exception;

    /** Stops accepting, lets in-flight work finish for up to {@code grace}, then closes. */
    void stop(Duration grace);

    /** Human-readable bound address, for logs. */
    String address();
}
