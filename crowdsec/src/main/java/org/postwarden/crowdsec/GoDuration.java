package org.postwarden.crowdsec;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Go's {@code time.Duration} text as CrowdSec writes it ({@code 59m59.5s}, {@code 167h0m0s}, {@code -1.2s}). */
final class GoDuration {
    private static final Pattern PART = Pattern.compile("(\\d+(?:\\.\\d*)?|\\.\\d+)(h|ms|us|µs|μs|ns|m|s)");

    private GoDuration() {
    }

    /**
     * Parses {@code text}.
     *
     * @throws IllegalArgumentException when it is not a Go duration
     */
    static Duration parse(String text) {
        if (text == null || text.isEmpty()) {
            throw new IllegalArgumentException("duration: empty (expected: a Go duration like 59m59s)");
        }
        String s = text;
        boolean negative = s.startsWith("-");
        if (negative || s.startsWith("+")) {
            s = s.substring(1);
        }
        if ("0".equals(s)) {
            return Duration.ZERO;
        }
        Matcher m = PART.matcher(s);
        int at = 0;
        double nanos = 0;
        while (at < s.length()) {
            if (!m.find(at) || m.start() != at) {
                throw new IllegalArgumentException("duration: " + text + " (expected: a Go duration like 59m59s)");
            }
            double v = Double.parseDouble(m.group(1));
            nanos += v * switch (m.group(2)) {
                case "h" -> 3_600e9;
                case "m" -> 60e9;
                case "s" -> 1e9;
                case "ms" -> 1e6;
                case "ns" -> 1;
                default -> 1e3;
            };
            at = m.end();
        }
        if (at == 0 || nanos > Long.MAX_VALUE) {
            throw new IllegalArgumentException("duration: " + text + " (expected: a Go duration like 59m59s)");
        }
        Duration d = Duration.ofNanos((long) nanos);
        return negative ? d.negated() : d;
    }

    /** Formats {@code d} as Go reads it, in whole seconds ({@code 3599s}). */
    static String format(Duration d) {
        return Math.max(1, d.toSeconds()) + "s";
    }
}
