package org.postwarden.api;

import org.postwarden.model.Signal;

import java.net.InetAddress;

/**
 * One observation from a log line, as the engine sees it: a {@link Signal} with its client address, the account it
 * named and how many times it happened, or (with a null signal) plain traffic, which only feeds the private-range
 * majority guard. Produced by the ingest parsers; recorded by the engine ({@link Engine#observe}).
 *
 * @param signal         what happened, or null for traffic only (a connection)
 * @param client         the client address, or null when the line names none
 * @param user           the account named (SASL or IMAP/POP3 login), or ""
 * @param count          how many times (login attempts, DNSBL rank points); at least 1
 * @param detail         short, already escaped and truncated description for logs and ban details
 * @param relayRecipient for {@link Signal#RELAY_DENIED}: the refused recipient (to skip a RCPT that a listener
 *                       already scored), else ""
 */
public record LogSignal(Signal signal, InetAddress client, String user, int count, String detail,
        String relayRecipient) {

    public LogSignal {
        user = user == null ? "" : user;
        detail = detail == null ? "" : detail;
        relayRecipient = relayRecipient == null ? "" : relayRecipient;
        count = Math.max(1, count);
    }

    /** A signal without user or recipient, counted once. */
    public static LogSignal of(Signal signal, InetAddress client, String detail) {
        return new LogSignal(signal, client, "", 1, detail, "");
    }

    /** Traffic only: a connection from {@code client}. */
    public static LogSignal traffic(InetAddress client) {
        return new LogSignal(null, client, "", 1, "", "");
    }
}
