package org.postwarden.dnsbl;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.Locale;

/**
 * Builds DNSBL query names: an IPv4 address as its octets reversed ({@code 192.0.2.1} in {@code zen.spamhaus.org}
 * ⇒ {@code 1.2.0.192.zen.spamhaus.org}), an IPv6 address as its 32 nibbles reversed (RFC 5782 §2.4), and a domain
 * (RHSBL) as itself, lower-cased, in front of the zone. Client-supplied names that are not plain ASCII host names are
 * refused (null), so nothing odd is ever sent to a resolver.
 */
public final class QueryNames {
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private QueryNames() {
    }

    /** The reversed form of {@code address}, without a trailing dot. */
    public static String reversed(InetAddress address) {
        byte[] b = address.getAddress();
        if (address instanceof Inet4Address) {
            return (b[3] & 0xFF) + "." + (b[2] & 0xFF) + "." + (b[1] & 0xFF) + "." + (b[0] & 0xFF);
        }
        if (!(address instanceof Inet6Address)) {
            throw new IllegalArgumentException("not an IP address: " + address);
        }
        char[] out = new char[63];
        int o = 0;
        for (int i = 15; i >= 0; i--) {
            out[o++] = HEX[b[i] & 0x0F];
            out[o++] = '.';
            out[o++] = HEX[(b[i] >> 4) & 0x0F];
            if (i > 0) {
                out[o++] = '.';
            }
        }
        return new String(out);
    }

    /** {@code <reversed address>.<zone>}. */
    public static String forAddress(InetAddress address, String zone) {
        return reversed(address) + "." + zone;
    }

    /**
     * A client-supplied domain (HELO name, sender domain) as a lookup target: lower case, without a trailing dot,
     * or null when it is not a plain host name with at least two labels (address literals, bare words, non-ASCII,
     * over-long names).
     */
    public static String normalizeDomain(String name) {
        if (name == null) {
            return null;
        }
        String d = name.trim();
        int len = d.length();
        if (len > 0 && d.charAt(len - 1) == '.') {
            len--;
        }
        if (len == 0 || len > 253) {
            return null;
        }
        // One pass, no allocation unless the name has upper case or a trailing dot.
        boolean upper = false;
        boolean dot = false;
        boolean lastLabelNumeric = true;
        int labelStart = 0;
        for (int i = 0; i <= len; i++) {
            char c = i < len ? d.charAt(i) : '.';
            if (c == '.') {
                int l = i - labelStart;
                if (l < 1 || l > 63 || d.charAt(labelStart) == '-' || d.charAt(i - 1) == '-') {
                    return null;
                }
                if (i < len) {
                    dot = true;
                    lastLabelNumeric = true;
                }
                labelStart = i + 1;
            } else if (c >= 'a' && c <= 'z' || c == '-' || c == '_') {
                lastLabelNumeric = false;
            } else if (c >= 'A' && c <= 'Z') {
                upper = true;
                lastLabelNumeric = false;
            } else if (!(c >= '0' && c <= '9')) {
                return null;
            }
        }
        // No dot: a bare word. All-numeric last label: an IPv4 address written without brackets.
        if (!dot || lastLabelNumeric) {
            return null;
        }
        String out = len == d.length() ? d : d.substring(0, len);
        return upper ? out.toLowerCase(Locale.ROOT) : out;
    }

    /** {@code <domain>.<zone>}, or null when the result would be longer than a DNS name may be. */
    public static String forDomain(String normalizedDomain, String zone) {
        if (normalizedDomain.length() + 1 + zone.length() > 253) {
            return null;
        }
        return normalizedDomain + "." + zone;
    }
}
