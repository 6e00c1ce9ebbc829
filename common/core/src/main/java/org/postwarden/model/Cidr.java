package org.postwarden.model;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Locale;

/**
 * A CIDR network ({@code 192.0.2.0/24}, {@code 2001:db8::/32}, or a bare address meaning /32 or /128).
 * Parsing never does DNS: only literal addresses are accepted.
 */
public record Cidr(InetAddress network, int prefix) {

    /** Parses {@code text}; throws {@link IllegalArgumentException} with the expectation on bad input. */
    public static Cidr parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("empty network (expected: address or address/prefix)");
        }
        String t = text.trim();
        int slash = t.indexOf('/');
        InetAddress addr = parseAddress(slash < 0 ? t : t.substring(0, slash));
        int max = addr.getAddress().length * 8;
        int prefix = max;
        if (slash >= 0) {
            try {
                prefix = Integer.parseInt(t.substring(slash + 1));
            } catch (NumberFormatException e) {
                prefix = -1;
            }
            if (prefix < 0 || prefix > max) {
                throw new IllegalArgumentException("bad prefix length in '" + t + "' (expected: 0.." + max + ")");
            }
        }
        return new Cidr(mask(addr, prefix), prefix);
    }

    /** Parses a literal IPv4 or IPv6 address (brackets and an {@code ipv6:} prefix allowed), never doing DNS. */
    public static InetAddress parseAddress(String text) {
        if (text == null) {
            throw new IllegalArgumentException("missing address");
        }
        String t = text.trim();
        if (t.startsWith("[") && t.endsWith("]")) {
            t = t.substring(1, t.length() - 1);
        }
        if (t.toLowerCase(Locale.ROOT).startsWith("ipv6:")) {
            t = t.substring(5);
        }
        int pct = t.indexOf('%');
        if (pct >= 0) {
            t = t.substring(0, pct);
        }
        if (!isLiteral(t)) {
            throw new IllegalArgumentException("not an IP address: '" + t + "' (expected: IPv4 or IPv6 literal)");
        }
        try {
            InetAddress a = InetAddress.getByName(t);
            byte[] b = a.getAddress();
            if (b.length == 16 && isV4Mapped(b)) {
                return InetAddress.getByAddress(new byte[] {b[12], b[13], b[14], b[15]});
            }
            return a;
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("not an IP address: '" + t + "' (expected: IPv4 or IPv6 literal)", e);
        }
    }

    /** True if {@code s} looks like an IP literal (so {@link InetAddress#getByName} will not resolve a name). */
    public static boolean isLiteral(String s) {
        if (s.isEmpty()) {
            return false;
        }
        if (s.indexOf(':') >= 0) {
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                if (!(Character.digit(c, 16) >= 0 || c == ':' || c == '.')) {
                    return false;
                }
            }
            return true;
        }
        int dots = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '.') {
                dots++;
            } else if (c < '0' || c > '9') {
                return false;
            }
        }
        if (dots != 3) {
            return false;
        }
        for (String part : s.split("\\.", -1)) {
            if (part.isEmpty() || part.length() > 3 || Integer.parseInt(part) > 255) {
                return false;
            }
        }
        return true;
    }

    private static boolean isV4Mapped(byte[] b) {
        for (int i = 0; i < 10; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return (b[10] & 0xFF) == 0xFF && (b[11] & 0xFF) == 0xFF;
    }

    private static InetAddress mask(InetAddress a, int prefix) {
        byte[] b = a.getAddress();
        for (int i = 0; i < b.length; i++) {
            int bits = Math.max(0, Math.min(8, prefix - i * 8));
            b[i] = (byte) (b[i] & (0xFF << (8 - bits)));
        }
        try {
            return InetAddress.getByAddress(b);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Whether {@code address} lies in this network. */
    public boolean contains(InetAddress address) {
        if (address == null) {
            return false;
        }
        byte[] n = network.getAddress();
        byte[] a = address.getAddress();
        if (n.length != a.length) {
            return false;
        }
        int full = prefix / 8;
        for (int i = 0; i < full; i++) {
            if (n[i] != a[i]) {
                return false;
            }
        }
        int rest = prefix % 8;
        if (rest == 0) {
            return true;
        }
        int m = 0xFF << (8 - rest);
        return (n[full] & m) == (a[full] & m);
    }

    /** Whether this network and {@code other} share an address (one of them contains the other). */
    public boolean overlaps(Cidr other) {
        return contains(other.network) || other.contains(network);
    }

    @Override
    public String toString() {
        return Addresses.format(network) + "/" + prefix;
    }
}
