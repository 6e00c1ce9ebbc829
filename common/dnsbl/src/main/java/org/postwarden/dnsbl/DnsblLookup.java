package org.postwarden.dnsbl;

/**
 * The answers for one event: the client address, the HELO name and the sender domain. A component is null when it
 * was not looked up (no zone of that kind, no such name in the event, or not a plain host name).
 */
public record DnsblLookup(DnsblAnswers client, DnsblAnswers helo, DnsblAnswers sender) {

    /** Nothing looked up. */
    public static final DnsblLookup NONE = new DnsblLookup(null, null, null);

    /** When the first of its answers expires ({@code TimeSource} nanos); {@link Long#MAX_VALUE} for none. */
    public long expiresAtNanos() {
        long e = Long.MAX_VALUE;
        if (client != null) {
            e = Math.min(e, client.expiresAtNanos());
        }
        if (helo != null) {
            e = Math.min(e, helo.expiresAtNanos());
        }
        if (sender != null) {
            e = Math.min(e, sender.expiresAtNanos());
        }
        return e;
    }
}
