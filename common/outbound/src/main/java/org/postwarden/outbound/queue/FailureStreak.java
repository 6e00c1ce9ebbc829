package org.postwarden.outbound.queue;

import org.postwarden.text.LogSafe;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logs a repeating failure without flooding: the first failure of a streak as WARN, later ones at DEBUG, and the
 * recovery as INFO (logger {@code org.postwarden.outbound}). Not thread-safe: one owner, one poll at a time.
 */
final class FailureStreak {
    private static final Logger LOG = LoggerFactory.getLogger("org.postwarden.outbound");
    private final String what;
    private boolean failing;

    /** {@code what}: the failing thing as the log lines name it, e.g. "queue listing". */
    FailureStreak(String what) {
        this.what = what;
    }

    void failed(String reason) {
        if (!failing) {
            failing = true;
            LOG.warn("{} failed: {} (retried every poll; logged again once it works)", what, reason);
        } else {
            LOG.debug("{} still failing: {}", what, reason);
        }
    }

    void worked() {
        if (failing) {
            failing = false;
            LOG.info("{} works again", what);
        }
    }

    /** {@code e}'s message (its class when it has none), escaped and capped for a log line or an error text. */
    static String reason(Exception e) {
        String message = e.getMessage();
        return LogSafe.escape(message == null ? e.getClass().getSimpleName() : message, 500);
    }
}
