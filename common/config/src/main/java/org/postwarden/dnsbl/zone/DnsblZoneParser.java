package org.postwarden.dnsbl.zone;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Parses zone entries in postscreen's syntax, {@code domain[=d.d.d.d][*weight]}, with an optional trailing word
 * {@code grey} (separated by white space) that marks an entry whose listing makes a client doubtful for greylisting:
 * <ul>
 *   <li>{@code zen.spamhaus.org} — any listing adds 1 point;</li>
 *   <li>{@code zen.spamhaus.org=127.0.0.[10;11]*8} — codes 127.0.0.10 and .11 add 8 points;</li>
 *   <li>{@code list.dnswl.org=127.0.[0..255].[1..3]*-5} — allowlist: 5 points off;</li>
 *   <li>{@code dbl.spamhaus.org=127.0.1.[2..99]*4} as an RHSBL zone for HELO names or sender domains;</li>
 *   <li>{@code bl.spamcop.net*1 grey} — adds 1 point and greylists; {@code b.barracudacentral.org*0 grey} only
 *   greylists.</li>
 * </ul>
 * The weight may be a decimal ({@code *2.5}), from -1000 to 1000. Errors are {@link IllegalArgumentException}s
 * whose message says what is wrong and what was expected; the config validator shows them with the key.
 */
public final class DnsblZoneParser {
    /** Spamhaus Data Query Service zones: the key is inserted as the leftmost label of the zone. */
    public static final String DQS_SUFFIX = ".dq.spamhaus.net";
    /** The longest reversed client address (an IPv6 address as 32 nibbles plus dots, and the joining dot). */
    static final int LONGEST_IP_PREFIX = 64;
    private static final Pattern LABEL = Pattern.compile("[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?");
    private static final Pattern WEIGHT = Pattern.compile("[+-]?\\d{1,4}(?:\\.\\d{1,3})?");
    /** The greylisting marker after the entry, e.g. {@code bl.spamcop.net*2 grey}. */
    private static final Pattern GREY = Pattern.compile("(?i)^(.*\\S)\\s+grey$");

    private DnsblZoneParser() {
    }

    /**
     * Parses one entry of the given kind.
     *
     * @throws IllegalArgumentException with an explanation and the expected syntax
     */
    public static DnsblZone parse(String spec, ZoneKind kind) {
        if (spec == null || spec.isBlank()) {
            throw new IllegalArgumentException("empty zone (expected: domain[=d.d.d.d][*weight], e.g. "
                    + "zen.spamhaus.org*3)");
        }
        String s = spec.trim();
        boolean grey = false;
        java.util.regex.Matcher g = GREY.matcher(s);
        if (g.matches()) {
            grey = true;
            s = g.group(1);
        }
        double weight = 1;
        int star = s.lastIndexOf('*');
        if (star >= 0) {
            String w = s.substring(star + 1).trim();
            if (!WEIGHT.matcher(w).matches()) {
                throw new IllegalArgumentException("weight \"" + w + "\" is not a number (expected: *N with N from "
                        + "-1000 to 1000, negative for allowlists, e.g. *3 or *-5)");
            }
            weight = Double.parseDouble(w);
            if (weight < -1000 || weight > 1000) {
                throw new IllegalArgumentException("weight " + w + " out of range (expected: -1000 to 1000)");
            }
            s = s.substring(0, star).trim();
        }
        CodeFilter filter = null;
        int eq = s.indexOf('=');
        if (eq >= 0) {
            filter = CodeFilter.parse(s.substring(eq + 1).trim());
            s = s.substring(0, eq).trim();
        }
        String domain = domain(s, kind);
        if (grey && weight < 0) {
            throw new IllegalArgumentException("\"grey\" on an allowlist entry (weight " + weight + "): a listed "
                    + "client cannot be both trusted and doubtful (expected: grey only on entries with a weight of 0 "
                    + "or more)");
        }
        return new DnsblZone(domain, filter, weight, kind, spec.trim(), grey);
    }

    private static String domain(String raw, ZoneKind kind) {
        String d = raw.toLowerCase(Locale.ROOT);
        if (d.endsWith(".")) {
            d = d.substring(0, d.length() - 1);
        }
        if (d.isEmpty()) {
            throw new IllegalArgumentException("missing domain (expected: domain[=d.d.d.d][*weight])");
        }
        String[] labels = d.split("\\.", -1);
        if (labels.length < 2) {
            throw new IllegalArgumentException("\"" + raw + "\" is not a DNS zone (expected a domain with at least "
                    + "two labels, e.g. zen.spamhaus.org)");
        }
        for (String l : labels) {
            if (!LABEL.matcher(l).matches()) {
                throw new IllegalArgumentException("\"" + raw + "\" is not a valid domain: label \"" + l
                        + "\" (expected letters, digits, '-' and '_', 1 to 63 per label)");
            }
        }
        if (embedsDqsKey(d)) {
            throw new IllegalArgumentException("a Spamhaus DQS zone with the key written into its name (expected: "
                    + "the zone as e.g. zen.dq.spamhaus.net and the key in dnsbl.dqs-key or dnsbl.dqs-key-file, so "
                    + "it never appears in logs or metrics)");
        }
        int room = 253 - (kind == ZoneKind.CLIENT_IP ? LONGEST_IP_PREFIX : 2) - (isDqs(d) ? 64 : 0);
        if (d.length() > room) {
            throw new IllegalArgumentException("domain is " + d.length() + " characters long (expected at most "
                    + room + ", so that the query names fit in 253)");
        }
        return d;
    }

    /** Whether {@code domain} is a Spamhaus DQS zone that needs the key ({@code *.dq.spamhaus.net}). */
    public static boolean isDqs(String domain) {
        return domain.endsWith(DQS_SUFFIX);
    }

    /**
     * Whether a zone entry looks like it has a DQS key written into its name ({@code KEY.zen.dq.spamhaus.net}): the
     * config validator must then not echo the value.
     */
    public static boolean embedsDqsKey(String spec) {
        String d = spec.toLowerCase(Locale.ROOT).trim();
        java.util.regex.Matcher g = GREY.matcher(d);
        if (g.matches()) {
            d = g.group(1);
        }
        int cut = indexOfAny(d);
        if (cut >= 0) {
            d = d.substring(0, cut);
        }
        if (d.endsWith(".")) {
            d = d.substring(0, d.length() - 1);
        }
        return isDqs(d) && d.split("\\.").length > 4;
    }

    private static int indexOfAny(String d) {
        int a = d.indexOf('=');
        int b = d.indexOf('*');
        if (a < 0) {
            return b;
        }
        return b < 0 ? a : Math.min(a, b);
    }
}
