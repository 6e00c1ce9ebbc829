package org.postwarden.model;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How addresses are printed everywhere (logs, replay report, explain, admin API, exports): IPv4 in dotted quads,
 * IPv6 in the canonical text form of RFC 5952 — lower-case hex, no leading zeros, the longest run of two or more
 * zero groups (the first of equal runs) written {@code ::}, an IPv4-mapped address as {@code ::ffff:192.0.2.1} —
 * which is how Postfix writes them in its log ({@code 2001:db8:77::22}, not Java's {@code 2001:db8:77:0:0:0:0:22}),
 * so what Postwarden prints can be grepped for in the mail log. Input takes any valid form ({@link Cidr#parse},
 * {@link Cidr#parseAddress}). Zone ids are not printed. Stateless.
 */
public final class Addresses {
    /** A run of hex digits and colons, not part of a word, a number or a dotted IPv4 tail. */
    private static final Pattern RUN = Pattern.compile("(?<![0-9A-Za-z.])[0-9a-f:]++(?![0-9A-Za-z.])");
    /** An IPv6 address as Java's {@code getHostAddress()} writes it: eight groups, no {@code ::}. */
    private static final Pattern LONG_FORM = Pattern.compile("(?:[0-9a-f]{1,4}:){7}[0-9a-f]{1,4}");

    private Addresses() {
    }

    /** The canonical text of {@code a} (RFC 5952 for IPv6); {@code "-"} for null. */
    public static String format(InetAddress a) {
        if (a == null) {
            return "-";
        }
        byte[] b = a.getAddress();
        return b.length == 16 ? format6(b) : format4(b, 0);
    }

    /**
     * A socket address as {@code 192.0.2.1:25} or {@code [2001:db8::1]:25} (the address canonical, never Java's
     * {@code /192.0.2.1:25}); an unresolved one as {@code name:port}; anything else as its {@code toString()}.
     */
    public static String format(SocketAddress s) {
        if (!(s instanceof InetSocketAddress i)) {
            return String.valueOf(s);
        }
        if (i.getAddress() == null) {
            return i.getHostString() + ":" + i.getPort();
        }
        String a = format(i.getAddress());
        return (a.indexOf(':') >= 0 ? "[" + a + "]" : a) + ":" + i.getPort();
    }

    /** The canonical text of the 16 bytes of an IPv6 address (or 4 of an IPv4 one). */
    public static String format(byte[] b) {
        if (b.length == 4) {
            return format4(b, 0);
        }
        if (b.length != 16) {
            throw new IllegalArgumentException("address length: " + b.length + " (expected: 4 or 16)");
        }
        return format6(b);
    }

    private static String format4(byte[] b, int from) {
        return (b[from] & 0xFF) + "." + (b[from + 1] & 0xFF) + "." + (b[from + 2] & 0xFF) + "." + (b[from + 3] & 0xFF);
    }

    private static String format6(byte[] b) {
        int[] g = new int[8];
        for (int i = 0; i < 8; i++) {
            g[i] = ((b[2 * i] & 0xFF) << 8) | (b[2 * i + 1] & 0xFF);
        }
        if (g[0] == 0 && g[1] == 0 && g[2] == 0 && g[3] == 0 && g[4] == 0 && g[5] == 0xFFFF) {
            return "::ffff:" + format4(b, 12);
        }
        int bestStart = -1;
        int bestLen = 1;
        for (int i = 0; i < 8; ) {
            if (g[i] != 0) {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && g[j] == 0) {
                j++;
            }
            if (j - i > bestLen) {
                bestStart = i;
                bestLen = j - i;
            }
            i = j;
        }
        StringBuilder sb = new StringBuilder(39);
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                sb.append("::");
                i += bestLen - 1;
                continue;
            }
            if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
                sb.append(':');
            }
            sb.append(Integer.toHexString(g[i]));
        }
        return sb.toString();
    }

    /**
     * {@code text} with every IPv6 address in Java's long form ({@code 2001:db8:0:0:0:0:0:7}, as keys were written
     * before this class existed) replaced by its canonical form: state read from an older snapshot keeps its keys.
     */
    public static String canonicalText(String text) {
        if (text.indexOf(':') < 0) {
            return text;
        }
        Matcher m = RUN.matcher(text);
        StringBuilder sb = new StringBuilder(text.length());
        while (m.find()) {
            String run = m.group();
            // "client:2001:db8:0:0:0:0:0:5": the colon after a word is not part of the address
            String lead = run.startsWith(":") && !run.startsWith("::") ? ":" : "";
            String addr = run.substring(lead.length());
            String out = LONG_FORM.matcher(addr).matches() ? lead + format(Cidr.parseAddress(addr)) : run;
            m.appendReplacement(sb, Matcher.quoteReplacement(out));
        }
        m.appendTail(sb);
        return sb.toString();
    }
}
