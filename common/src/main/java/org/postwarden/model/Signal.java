package org.postwarden.model;

import java.util.Locale;

/** Kinds of bad behaviour that add weight to a client's score. Bounded: used as a metric label. */
public enum Signal {
    RELAY_ATTEMPT,
    HELO_NOT_FQDN,
    HELO_GENERIC,
    HELO_IP_MISMATCH,
    HELO_CLAIMS_OUR_NAME,
    LIMIT_EXCEEDED;

    public String label() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
