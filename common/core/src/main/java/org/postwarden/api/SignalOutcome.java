package org.postwarden.api;

/** What {@link Engine#observe} did with a signal. */
public enum SignalOutcome {
    /** Traffic only (no signal): fed the private-range guard. */
    TRAFFIC,
    /** The client is ignored (bans.ignore-networks, allowlist, own address): nothing scored. */
    IGNORED,
    /** The client is a known research scanner: nothing scored. */
    SCANNER,
    /** A listener already scored this (relay attempt): nothing scored again. */
    DUPLICATE,
    /** Scored (and perhaps banned). */
    SCORED
}
