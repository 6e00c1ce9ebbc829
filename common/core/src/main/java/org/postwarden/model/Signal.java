package org.postwarden.model;

import java.util.Locale;

/** Kinds of bad behaviour that add weight to a client's score. Bounded: used as a metric label. */
public enum Signal {
    RELAY_ATTEMPT,
    HELO_NOT_FQDN,
    HELO_GENERIC,
    HELO_IP_MISMATCH,
    HELO_CLAIMS_OUR_NAME,
    LIMIT_EXCEEDED,
    /** Listed in a DNS blocklist (weight per zone entry; counts for the current decision only). */
    DNSBL,
    /** Listed in a DNS allowlist (negative weight per zone entry; counts for the current decision only). */
    DNSWL,
    // ---- seen only in logs (ingest): what neither the policy protocol nor the milter can see ----
    /** postscreen: the client talked before the greeting. */
    PREGREET,
    /** postscreen COMMAND PIPELINING / NON-SMTP COMMAND / BARE NEWLINE, smtpd improper pipelining, too many errors. */
    PROTOCOL_VIOLATION,
    /** postscreen: the client hung up during the tests. */
    HANGUP,
    /** postscreen: DNSBL rank at or over its threshold (weight per rank point). */
    POSTSCREEN_DNSBL,
    /** A failed SASL/IMAP/POP3 login (weight per attempt). */
    AUTH_FAILURE,
    /** smtpd: lost connection after AUTH. */
    AUTH_LOST,
    /** TLS handshake failure (SSL_accept error). */
    TLS_FAILURE,
    /** smtpd refused a relay attempt ("Relay access denied") that no listener reported. */
    RELAY_DENIED,
    /** smtpd refused the HELO name ("Helo command rejected"). */
    HELO_REJECTED;

    public String label() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
