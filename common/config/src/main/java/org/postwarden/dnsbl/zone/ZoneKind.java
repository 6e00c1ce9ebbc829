package org.postwarden.dnsbl.zone;

import java.util.Locale;

/** What a zone is asked about. Bounded: used in logs and metric labels. */
public enum ZoneKind {
    /** The client's IP address (IPv4 reversed octets, IPv6 32 reversed nibbles). */
    CLIENT_IP,
    /** The HELO/EHLO name (right-hand-side list, e.g. dbl.spamhaus.org). */
    RHSBL_HELO,
    /** The envelope sender's domain (right-hand-side list). */
    RHSBL_SENDER;

    public String label() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
