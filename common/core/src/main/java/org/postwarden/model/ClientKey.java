package org.postwarden.model;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * A client network key: an address masked to a prefix length. IPv4 keys keep the address in {@code lo}; IPv6 keys
 * in {@code hi}/{@code lo}. Compact on purpose: the store holds millions of these.
 *
 * @param level  aggregation level
 * @param v6     whether this is an IPv6 key
 * @param prefix prefix length in bits (32/24 for IPv4; 128/64/wide for IPv6)
 * @param hi     upper 64 bits of an IPv6 address (0 for IPv4)
 * @param lo     lower 64 bits of an IPv6 address, or the IPv4 address
 */
public record ClientKey(KeyLevel level, boolean v6, int prefix, long hi, long lo) {

    public ClientKey {
        int max = v6 ? 128 : 32;
        if (prefix < 0 || prefix > max) {
            throw new IllegalArgumentException("prefix: " + prefix + " (expected: 0.." + max + ")");
        }
    }

    /** The key of {@code address} at {@code level}; {@code widePrefix} is the IPv6 prefix used for {@link KeyLevel#WIDE}. */
    public static ClientKey of(InetAddress address, KeyLevel level, int widePrefix) {
        byte[] b = address.getAddress();
        if (b.length == 4) {
            long v = ((b[0] & 0xFFL) << 24) | ((b[1] & 0xFFL) << 16) | ((b[2] & 0xFFL) << 8) | (b[3] & 0xFFL);
            int prefix = switch (level) {
                case HOST -> 32;
                case SUBNET, WIDE -> 24;
            };
            return new ClientKey(level, false, prefix, 0, v & mask32(prefix));
        }
        long hi = 0;
        long lo = 0;
        for (int i = 0; i < 8; i++) {
            hi = (hi << 8) | (b[i] & 0xFFL);
            lo = (lo << 8) | (b[i + 8] & 0xFFL);
        }
        int prefix = switch (level) {
            case HOST -> 128;
            case SUBNET -> 64;
            case WIDE -> widePrefix;
        };
        return new ClientKey(level, true, prefix, hi & maskHi(prefix), lo & maskLo(prefix));
    }

    static long mask32(int prefix) {
        return prefix == 0 ? 0 : (0xFFFFFFFFL << (32 - prefix)) & 0xFFFFFFFFL;
    }

    static long maskHi(int prefix) {
        if (prefix >= 64) {
            return -1L;
        }
        return prefix == 0 ? 0 : -1L << (64 - prefix);
    }

    static long maskLo(int prefix) {
        if (prefix <= 64) {
            return 0;
        }
        return prefix == 128 ? -1L : -1L << (128 - prefix);
    }

    /** The network address of this key. */
    public InetAddress address() {
        try {
            if (!v6) {
                return Inet4Address.getByAddress(new byte[] {
                    (byte) (lo >>> 24), (byte) (lo >>> 16), (byte) (lo >>> 8), (byte) lo});
            }
            byte[] b = new byte[16];
            for (int i = 0; i < 8; i++) {
                b[i] = (byte) (hi >>> (56 - 8 * i));
                b[i + 8] = (byte) (lo >>> (56 - 8 * i));
            }
            return Inet6Address.getByAddress(b);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    /** CIDR notation, e.g. {@code 192.0.2.0/24} or {@code 2001:db8::/48}. */
    public String cidr() {
        String a = Addresses.format(address());
        return a + "/" + prefix;
    }

    @Override
    public String toString() {
        return level.label() + ":" + cidr();
    }
}
