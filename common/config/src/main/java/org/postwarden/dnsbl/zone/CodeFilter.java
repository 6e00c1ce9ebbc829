package org.postwarden.dnsbl.zone;

import java.net.Inet4Address;
import java.util.BitSet;
import java.util.List;

/**
 * A DNSBL return-code pattern in postscreen's {@code d.d.d.d} syntax: four octets, each a number ({@code 127}), or
 * a bracketed list of numbers and ranges separated by {@code ;} ({@code [2;4..7;10]}). {@code 127.0.[0..255].[1..3]}
 * matches 127.0.x.1 to 127.0.x.3 for any x. Immutable; {@link #equals} compares the sets of matched values.
 */
public final class CodeFilter {
    private final BitSet[] octets;
    private final String text;

    private CodeFilter(BitSet[] octets, String text) {
        this.octets = octets;
        this.text = text;
    }

    /**
     * Parses {@code text}.
     *
     * @throws IllegalArgumentException naming the faulty part and the expected syntax
     */
    public static CodeFilter parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("empty return-code pattern (expected: d.d.d.d, e.g. 127.0.0.2 or "
                    + "127.0.0.[2..11])");
        }
        String t = text.trim();
        BitSet[] sets = new BitSet[4];
        int pos = 0;
        for (int i = 0; i < 4; i++) {
            if (pos >= t.length()) {
                throw bad(t, "only " + i + " of 4 octets");
            }
            int end;
            if (t.charAt(pos) == '[') {
                end = t.indexOf(']', pos);
                if (end < 0) {
                    throw bad(t, "'[' without ']'");
                }
                sets[i] = list(t, t.substring(pos + 1, end));
                end++;
            } else {
                end = pos;
                while (end < t.length() && t.charAt(end) != '.') {
                    end++;
                }
                sets[i] = new BitSet(256);
                sets[i].set(octet(t, t.substring(pos, end)));
            }
            if (i < 3) {
                if (end >= t.length()) {
                    throw bad(t, "only " + (i + 1) + " of 4 octets");
                }
                if (t.charAt(end) != '.') {
                    throw bad(t, "expected '.' after octet " + (i + 1));
                }
                end++;
            }
            pos = end;
        }
        if (pos != t.length()) {
            throw bad(t, "unexpected text after the 4th octet: \"" + t.substring(pos) + "\"");
        }
        return new CodeFilter(sets, t);
    }

    private static BitSet list(String whole, String inner) {
        if (inner.isEmpty()) {
            throw bad(whole, "empty []");
        }
        BitSet s = new BitSet(256);
        for (String part : inner.split(";", -1)) {
            int dots = part.indexOf("..");
            if (dots >= 0) {
                int lo = octet(whole, part.substring(0, dots));
                int hi = octet(whole, part.substring(dots + 2));
                if (lo > hi) {
                    throw bad(whole, "range " + part + " runs backwards");
                }
                s.set(lo, hi + 1);
            } else {
                s.set(octet(whole, part));
            }
        }
        return s;
    }

    private static int octet(String whole, String n) {
        if (n.isEmpty() || n.length() > 3 || !n.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw bad(whole, "\"" + n + "\" is not a number from 0 to 255");
        }
        int v = Integer.parseInt(n);
        if (v > 255) {
            throw bad(whole, "\"" + n + "\" is not a number from 0 to 255");
        }
        return v;
    }

    private static IllegalArgumentException bad(String text, String why) {
        return new IllegalArgumentException("bad return-code pattern \"" + text + "\": " + why
                + " (expected: d.d.d.d where each d is a number or [n;m..k], e.g. 127.0.[0..255].[1..3])");
    }

    /** Whether {@code code} matches. */
    public boolean matches(Inet4Address code) {
        byte[] b = code.getAddress();
        for (int i = 0; i < 4; i++) {
            if (!octets[i].get(b[i] & 0xFF)) {
                return false;
            }
        }
        return true;
    }

    /** Whether any of {@code codes} matches. */
    public boolean matchesAny(List<Inet4Address> codes) {
        for (Inet4Address c : codes) {
            if (matches(c)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CodeFilter f && java.util.Arrays.equals(octets, f.octets);
    }

    @Override
    public int hashCode() {
        return java.util.Arrays.hashCode(octets);
    }

    /** The pattern as written. */
    @Override
    public String toString() {
        return text;
    }
}
