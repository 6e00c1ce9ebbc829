package org.postwarden.dnsbl;

import java.io.BufferedReader;
import java.io.IOException;
import java.net.IDN;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

/**
 * The registered domain of a host name (the public suffix and one label more: {@code google.com} for
 * {@code mail-wr1-f54.google.com}, {@code example.co.uk} for {@code mx.example.co.uk}), by the rules of the Public
 * Suffix List (publicsuffix.org: normal rules, {@code *.} wildcards, {@code !} exceptions; its private section
 * included) read from a file such as Debian's {@code /usr/share/publicsuffix/public_suffix_list.dat}; or, without one,
 * by a built-in approximation: the last two labels, three under a two-letter country code whose second level is
 * one of {@code com net org co ac gov edu ne or go mil}. Immutable, thread-safe.
 */
public final class RegisteredDomains {
    /** Lines of a Public Suffix List file read at most (the 2023 list has about 15,000). */
    private static final int MAX_RULES = 200_000;
    private static final Set<String> SECOND_LEVELS = Set.of("com", "net", "org", "co", "ac", "gov", "edu", "ne", "or",
            "go", "mil");
    private final Set<String> rules;
    private final Set<String> wildcards;
    private final Set<String> exceptions;
    private final boolean list;

    private RegisteredDomains(Set<String> rules, Set<String> wildcards, Set<String> exceptions, boolean list) {
        this.rules = Set.copyOf(rules);
        this.wildcards = Set.copyOf(wildcards);
        this.exceptions = Set.copyOf(exceptions);
        this.list = list;
    }

    /** The built-in approximation. */
    public static RegisteredDomains approximation() {
        return new RegisteredDomains(Set.of(), Set.of(), Set.of(), false);
    }

    /**
     * Reads a Public Suffix List file (UTF-8; {@code //} comments; internationalized rules are converted to
     * ASCII).
     *
     * @throws IOException when it cannot be read, is larger than 200,000 lines or holds no rule
     */
    public static RegisteredDomains load(Path file) throws IOException {
        Set<String> rules = new HashSet<>();
        Set<String> wildcards = new HashSet<>();
        Set<String> exceptions = new HashSet<>();
        int lines = 0;
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            while ((line = in.readLine()) != null) {
                if (++lines > MAX_RULES) {
                    throw new IOException(file + ": more than " + MAX_RULES + " lines (not a Public Suffix List?)");
                }
                String r = line.strip();
                int space = r.indexOf(' ');
                if (space >= 0) {
                    r = r.substring(0, space);
                }
                if (r.isEmpty() || r.startsWith("//")) {
                    continue;
                }
                boolean exception = r.startsWith("!");
                boolean wildcard = r.startsWith("*.");
                String name = exception ? r.substring(1) : wildcard ? r.substring(2) : r;
                try {
                    name = IDN.toASCII(name, IDN.ALLOW_UNASSIGNED).toLowerCase(Locale.ROOT);
                } catch (IllegalArgumentException e) {
                    continue;
                }
                (exception ? exceptions : wildcard ? wildcards : rules).add(name);
            }
        }
        if (rules.isEmpty()) {
            throw new IOException(file + ": no rule (not a Public Suffix List?)");
        }
        return new RegisteredDomains(rules, wildcards, exceptions, true);
    }

    /** Whether this is a Public Suffix List (false: the approximation). */
    public boolean fromList() {
        return list;
    }

    /**
     * The registered domain of {@code host} (a host name, any case, with or without the trailing dot), or null when
     * it has none: it is a public suffix itself, a single label, or empty.
     */
    public String of(String host) {
        String h = host.toLowerCase(Locale.ROOT);
        if (h.endsWith(".")) {
            h = h.substring(0, h.length() - 1);
        }
        if (h.isEmpty() || h.startsWith(".") || h.contains("..")) {
            return null;
        }
        String[] labels = h.split("\\.");
        int start = list ? listStart(h, labels) : approximateStart(labels);
        return start < 0 ? null : join(labels, start);
    }

    /**
     * Where the registered domain of {@code labels} starts, or -1 when there is none. The longest matching rule
     * wins; an exception rule ({@code !www.ck}) makes its own name the registered domain; no rule at all means the
     * last label is the public suffix (the list's implicit {@code *}).
     */
    private int listStart(String h, String[] labels) {
        int n = labels.length;
        for (int i = 0; i < n; i++) {
            String s = i == 0 ? h : join(labels, i);
            if (exceptions.contains(s)) {
                return i;
            }
            if (rules.contains(s) || i + 1 < n && wildcards.contains(join(labels, i + 1))) {
                return i - 1;
            }
        }
        return n - 2;
    }

    private static int approximateStart(String[] labels) {
        int n = labels.length;
        if (n >= 2 && labels[n - 1].length() == 2 && SECOND_LEVELS.contains(labels[n - 2])) {
            return n - 3;
        }
        return n - 2;
    }

    private static String join(String[] labels, int from) {
        return String.join(".", java.util.Arrays.asList(labels).subList(from, labels.length));
    }
}
