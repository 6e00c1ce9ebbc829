package org.postwarden.dnsbl;

import org.postwarden.model.Cidr;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One SPF record parsed (RFC 7208 sections 4.6, 5 and 6): its mechanisms in order, with their qualifiers, targets
 * and CIDR lengths, and the {@code redirect=} modifier. {@code exp=} and unknown modifiers are ignored, as the RFC
 * says. A syntax error is an {@link IllegalArgumentException} (the record's check is then a "permerror"). Immutable.
 *
 * @param mechanisms every mechanism, in order
 * @param redirect   the {@code redirect=} domain, or null
 */
record SpfRecord(List<Mechanism> mechanisms, String redirect) {

    /** What a mechanism is. {@link #dnsQuerying} ones count against the limit of 10 (RFC 7208 section 4.6.4). */
    enum Kind {
        ALL, INCLUDE, A, MX, PTR, IP4, IP6, EXISTS;

        boolean dnsQuerying() {
            return this == INCLUDE || this == A || this == MX || this == PTR || this == EXISTS;
        }
    }

    /**
     * One mechanism.
     *
     * @param qualifier {@code +} (pass), {@code -} (fail), {@code ~} (softfail) or {@code ?} (neutral)
     * @param kind      which mechanism
     * @param domain    the target domain (lower case, no trailing dot), null for the current domain, or for
     *                  {@code all}, {@code ip4} and {@code ip6}
     * @param macro     whether the domain holds a macro ({@code %{i}}...), which this parser does not expand
     * @param network   the network of {@code ip4}/{@code ip6}, else null
     * @param cidr4     IPv4 prefix length for {@code a}/{@code mx} (32 when not given)
     * @param cidr6     IPv6 prefix length for {@code a}/{@code mx} (128 when not given)
     */
    record Mechanism(char qualifier, Kind kind, String domain, boolean macro, Cidr network, int cidr4, int cidr6) {
    }

    /** Whether {@code txt} (a TXT record's strings joined) is an SPF record ({@code v=spf1} alone or before a space). */
    static boolean isSpf(String txt) {
        return txt.regionMatches(true, 0, "v=spf1", 0, 6) && (txt.length() == 6 || txt.charAt(6) == ' ');
    }

    /** Parses an SPF record; throws {@link IllegalArgumentException} saying what is wrong. */
    static SpfRecord parse(String txt) {
        if (!isSpf(txt)) {
            throw new IllegalArgumentException("not an SPF record (expected: v=spf1 ...)");
        }
        List<Mechanism> out = new ArrayList<>();
        String redirect = null;
        for (String term : txt.substring(6).trim().split(" +")) {
            if (term.isEmpty()) {
                continue;
            }
            int eq = term.indexOf('=');
            int colon = term.indexOf(':');
            int slash = term.indexOf('/');
            if (eq > 0 && (colon < 0 || eq < colon) && (slash < 0 || eq < slash)) {
                String name = term.substring(0, eq).toLowerCase(Locale.ROOT);
                if (!name.matches("[a-z][a-z0-9_.-]*")) {
                    throw new IllegalArgumentException("bad modifier name in \"" + term + "\"");
                }
                if (name.equals("redirect")) {
                    if (redirect != null) {
                        throw new IllegalArgumentException("two redirect= modifiers");
                    }
                    redirect = domain(term.substring(eq + 1), term);
                }
                continue;
            }
            out.add(mechanism(term));
        }
        return new SpfRecord(List.copyOf(out), redirect);
    }

    private static Mechanism mechanism(String term) {
        char q = '+';
        String t = term;
        if ("+-~?".indexOf(t.charAt(0)) >= 0) {
            q = t.charAt(0);
            t = t.substring(1);
        }
        int end = 0;
        while (end < t.length() && Character.isLetterOrDigit(t.charAt(end))) {
            end++;
        }
        String name = t.substring(0, end).toLowerCase(Locale.ROOT);
        String rest = t.substring(end);
        Kind kind = switch (name) {
            case "all" -> Kind.ALL;
            case "include" -> Kind.INCLUDE;
            case "a" -> Kind.A;
            case "mx" -> Kind.MX;
            case "ptr" -> Kind.PTR;
            case "ip4" -> Kind.IP4;
            case "ip6" -> Kind.IP6;
            case "exists" -> Kind.EXISTS;
            default -> throw new IllegalArgumentException("unknown mechanism \"" + term + "\"");
        };
        switch (kind) {
            case ALL -> {
                if (!rest.isEmpty()) {
                    throw new IllegalArgumentException("\"" + term + "\": all takes no argument");
                }
                return new Mechanism(q, kind, null, false, null, 32, 128);
            }
            case IP4, IP6 -> {
                if (!rest.startsWith(":")) {
                    throw new IllegalArgumentException("\"" + term + "\": " + name + " needs a network");
                }
                Cidr c = Cidr.parse(rest.substring(1));
                if ((c.network().getAddress().length == 4) != (kind == Kind.IP4)) {
                    throw new IllegalArgumentException("\"" + term + "\": not an " + (kind == Kind.IP4 ? "IPv4"
                            : "IPv6") + " network");
                }
                return new Mechanism(q, kind, null, false, c, 32, 128);
            }
            case INCLUDE, EXISTS -> {
                if (!rest.startsWith(":") || rest.length() < 2) {
                    throw new IllegalArgumentException("\"" + term + "\": " + name + " needs a domain");
                }
                String d = rest.substring(1);
                return new Mechanism(q, kind, d.indexOf('%') >= 0 ? d : domain(d, term), d.indexOf('%') >= 0,
                        null, 32, 128);
            }
            default -> {
                // a, mx, ptr: [":" domain] then, for a and mx, ["/" cidr4] ["//" cidr6]
                String domain = null;
                String cidrs = rest;
                if (rest.startsWith(":")) {
                    int s = rest.indexOf('/');
                    domain = s < 0 ? rest.substring(1) : rest.substring(1, s);
                    cidrs = s < 0 ? "" : rest.substring(s);
                    if (domain.isEmpty()) {
                        throw new IllegalArgumentException("\"" + term + "\": empty domain");
                    }
                }
                int c4 = 32;
                int c6 = 128;
                if (!cidrs.isEmpty()) {
                    if (kind == Kind.PTR) {
                        throw new IllegalArgumentException("\"" + term + "\": ptr takes no CIDR length");
                    }
                    int dbl = cidrs.indexOf("//");
                    String v4 = dbl < 0 ? cidrs : cidrs.substring(0, dbl);
                    String v6 = dbl < 0 ? "" : cidrs.substring(dbl + 2);
                    if (!v4.isEmpty()) {
                        c4 = length(v4.substring(1), 32, term);
                    }
                    if (!v6.isEmpty()) {
                        c6 = length(v6, 128, term);
                    }
                }
                boolean macro = domain != null && domain.indexOf('%') >= 0;
                return new Mechanism(q, kind, domain == null || macro ? domain : domain(domain, term), macro, null,
                        c4, c6);
            }
        }
    }

    private static int length(String digits, int max, String term) {
        if (!digits.matches("\\d{1,3}") || Integer.parseInt(digits) > max) {
            throw new IllegalArgumentException("\"" + term + "\": bad CIDR length (expected 0.." + max + ")");
        }
        return Integer.parseInt(digits);
    }

    private static String domain(String d, String term) {
        String x = d.toLowerCase(Locale.ROOT);
        if (x.endsWith(".")) {
            x = x.substring(0, x.length() - 1);
        }
        if (x.indexOf('%') >= 0) {
            return x;
        }
        if (x.isEmpty() || x.length() > 253 || !x.matches("[a-z0-9_-]+(\\.[a-z0-9_-]+)*")) {
            throw new IllegalArgumentException("\"" + term + "\": \"" + d + "\" is not a domain");
        }
        return x;
    }
}
