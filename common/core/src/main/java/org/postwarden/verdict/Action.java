package org.postwarden.verdict;

import java.util.Locale;

/** Outcome kinds, ordered by severity for combining findings (a later constant wins over an earlier one). */
public enum Action {
    /** Explicitly trusted by configuration (policy {@code OK}). Never produced by a check, only by allowlist rules. */
    ACCEPT,
    /** Nothing to say (policy {@code DUNNO}, milter continue). */
    PASS,
    /** Dry-run: would have done something else; logged by Postfix ({@code WARN}). */
    WARN,
    /** Add a header. */
    TAG,
    /** Keep the message in Postfix's hold queue. */
    HOLD,
    /** Temporary failure (4xx). */
    DEFER,
    /** Permanent failure (5xx). */
    REJECT;

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    public boolean atLeast(Action other) {
        return compareTo(other) >= 0;
    }
}
