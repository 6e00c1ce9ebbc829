package org.postwarden.model;

import java.util.Locale;

/** The aggregation level of a client key: the address itself, its subnet, or (IPv6 only) a wider prefix. */
public enum KeyLevel {
    /** IPv4 /32 or IPv6 /128. */
    HOST,
    /** IPv4 /24 or IPv6 /64. */
    SUBNET,
    /** IPv6 only: a configurable prefix wider than /64 (default /48). */
    WIDE;

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
