package org.postwarden.reputation;

/**
 * Short-lived "already counted" marks, so each thing is counted once although several requests or several listeners
 * report it (a connection, a message, a RCPT, a HELO evaluation). Bounded and expiring: a mark dropped early only
 * risks counting twice. Thread-safe.
 */
public interface SessionMarks {

    /**
     * Records one sighting of {@code key} by {@code source} and returns true when it is a new occurrence: when
     * {@code source} has now seen {@code key} more often than any source had before. {@code source} comes from a
     * small fixed set (listener names).
     */
    boolean occurrence(String key, String source);

    /** Marks {@code key}; returns true only for the first caller. */
    boolean first(String key);

    /** Whether {@code key} is marked. */
    boolean marked(String key);

    /** Marks held now (approximate). */
    long size();
}
