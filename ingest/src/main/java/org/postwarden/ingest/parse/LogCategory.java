package org.postwarden.ingest.parse;

import java.util.Locale;

/** What a parsed log line is about; the sections of the replay report. Bounded: used as a metric label. */
public enum LogCategory {
    /** postscreen: talked before the greeting. */
    PREGREET,
    /** Protocol abuse: postscreen pipelining / non-SMTP command / bare newline / hangup, smtpd improper pipelining,
     *  too many errors. */
    PROTOCOL,
    /** postscreen DNSBL rank over the threshold. */
    DNSBL,
    /** Failed logins: smtpd SASL, Dovecot IMAP/POP3/submission login processes. */
    SASL,
    /** TLS handshake failures. */
    TLS,
    /** Relay access denied. */
    RELAY,
    /** HELO rejected by smtpd (and, in a replay report, bad HELO names in other rejects). */
    HELO,
    /** A connection (traffic only; feeds the private-range majority guard). */
    CONNECT,
    /** A delivery result (smtp, lmtp, local, virtual, pipe, error, discard: status=sent|deferred|bounced); not a
     *  score signal: feeds the outbound guard's downstream-failure share. */
    DELIVERY;

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
