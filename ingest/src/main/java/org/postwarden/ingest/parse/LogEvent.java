package org.postwarden.ingest.parse;

import org.postwarden.api.DeliveryOutcomes;
import org.postwarden.api.LogSignal;
import org.postwarden.model.Addresses;
import org.postwarden.model.Signal;

import java.net.InetAddress;

/**
 * One interesting log line, typed. Strings are never null (empty when absent); texts that came from a client are
 * escaped and truncated.
 *
 * @param timeMillis the line's own time stamp (epoch ms), or -1 when it has none
 * @param category   report category
 * @param kind       bounded name of the line form, e.g. {@code pregreet}, {@code sasl-failed}, {@code lost-after-auth}
 * @param signal     the score signal, or null for lines that are only traffic or information
 * @param client     client address, or null when the line names none
 * @param user       account named by the line (SASL username, Dovecot user), or ""
 * @param count      how many (login attempts, DNSBL rank); 1 for most lines
 * @param detail     short description for logs and ban details
 * @param helo       HELO name from a reject line, or ""
 * @param recipient  recipient from a reject or delivery line, or ""
 * @param delivery   for a {@link LogCategory#DELIVERY} line: its queue id and result, else null
 */
public record LogEvent(long timeMillis, LogCategory category, String kind, Signal signal, InetAddress client,
        String user, int count, String detail, String helo, String recipient, Delivery delivery) {

    /** The result of one delivery attempt: queue id (letters and digits only) and status. */
    public record Delivery(String queueId, DeliveryOutcomes.Status status) {
    }

    /** An event that is not a delivery result. */
    public LogEvent(long timeMillis, LogCategory category, String kind, Signal signal, InetAddress client,
            String user, int count, String detail, String helo, String recipient) {
        this(timeMillis, category, kind, signal, client, user, count, detail, helo, recipient, null);
    }

    public LogEvent {
        user = user == null ? "" : user;
        detail = detail == null ? "" : detail;
        helo = helo == null ? "" : helo;
        recipient = recipient == null ? "" : recipient;
    }

    /** This event with its time stamp. */
    public LogEvent at(long millis) {
        return new LogEvent(millis, category, kind, signal, client, user, count, detail, helo, recipient,
                delivery);
    }

    /** What the engine gets: the signal with client, user, count, detail (and the recipient of a relay denial). */
    public LogSignal toSignal() {
        return new LogSignal(signal, client, user, count, detail, signal == Signal.RELAY_DENIED ? recipient : "");
    }

    /** Canonical one-line form, used by the golden-file tests. */
    public String render() {
        StringBuilder sb = new StringBuilder();
        sb.append(category.label()).append(' ').append(kind)
                .append(" signal=").append(signal == null ? "-" : signal.label())
                .append(" client=").append(client == null ? "-" : Addresses.format(client));
        if (!user.isEmpty()) {
            sb.append(" user=").append(user);
        }
        if (count != 1) {
            sb.append(" count=").append(count);
        }
        if (!recipient.isEmpty()) {
            sb.append(" to=").append(recipient);
        }
        if (!helo.isEmpty()) {
            sb.append(" helo=").append(helo);
        }
        if (delivery != null) {
            sb.append(" queue=").append(delivery.queueId()).append(" status=")
                    .append(delivery.status().name().toLowerCase(java.util.Locale.ROOT));
        }
        return sb.toString();
    }
}
