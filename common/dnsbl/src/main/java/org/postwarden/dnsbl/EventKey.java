package org.postwarden.dnsbl;

import java.net.InetAddress;

/**
 * Cache key of everything one event asks: the client address, the HELO name as sent, and the sender's domain,
 * compared case-insensitively in place (no substring, no lower-casing), so that the common case — a request whose
 * answers are cached — costs one hash computation and one map read. Whether the HELO name or the domain is a
 * lookup target at all is decided (normalized) only when the key misses. The key kept in the cache is
 * {@link #stored()}: the sender's domain only, so that senders with random local parts neither hold their full
 * addresses in memory nor make entries of their own (they share their domain's).
 */
final class EventKey {
    private final InetAddress client;
    private final String helo;
    private final String sender;
    private final int domainStart;
    private final int hash;

    EventKey(InetAddress client, String helo, String sender) {
        this.client = client;
        this.helo = helo;
        this.sender = sender;
        this.domainStart = sender == null ? 0 : sender.lastIndexOf('@') + 1;
        int h = client == null ? 0 : client.hashCode();
        h = 31 * h + (helo == null ? 0 : helo.hashCode());
        if (sender != null) {
            for (int i = domainStart; i < sender.length(); i++) {
                h = 31 * h + lower(sender.charAt(i));
            }
        }
        this.hash = h;
    }

    private static char lower(char c) {
        return c >= 'A' && c <= 'Z' ? (char) (c + 32) : c;
    }

    /** This key as the cache keeps it: equal to this one, with only the sender's domain retained. */
    EventKey stored() {
        if (sender == null || domainStart == 0) {
            return this;
        }
        return new EventKey(client, helo, sender.substring(domainStart));
    }

    /** The sender text this key retains: the whole address as given, or only its domain for a {@link #stored} key. */
    String retainedSender() {
        return sender;
    }

    InetAddress client() {
        return client;
    }

    String helo() {
        return helo;
    }

    /** The sender's domain as written (after the last {@code @}), or null without a sender. */
    String senderDomain() {
        return sender == null ? null : sender.substring(domainStart);
    }

    @Override
    public int hashCode() {
        return hash;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof EventKey k) || k.hash != hash) {
            return false;
        }
        if (client == null ? k.client != null : !client.equals(k.client)) {
            return false;
        }
        if (helo == null ? k.helo != null : !helo.equals(k.helo)) {
            return false;
        }
        if (sender == null || k.sender == null) {
            return sender == k.sender;
        }
        int len = sender.length() - domainStart;
        if (len != k.sender.length() - k.domainStart) {
            return false;
        }
        for (int i = 0; i < len; i++) {
            if (lower(sender.charAt(domainStart + i)) != lower(k.sender.charAt(k.domainStart + i))) {
                return false;
            }
        }
        return true;
    }
}
