package org.postwarden.config;

import org.postwarden.model.Cidr;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/** Semantic checks on a bound configuration; collects every error instead of stopping at the first. */
final class ConfigValidator {
    private final List<String> errors;
    private final Map<String, Integer> lines;

    private ConfigValidator(List<String> errors, Map<String, Integer> lines) {
        this.errors = errors;
        this.lines = lines;
    }

    static void validate(PostwardenConfig c, List<String> errors, Map<String, Integer> lines) {
        new ConfigValidator(errors, lines).all(c);
    }

    private void fail(String path, Object value, String expected) {
        errors.add(ConfigPaths.describe(path, value == null ? null : String.valueOf(value), expected, lines));
    }

    private boolean present(String path, Object v) {
        if (v == null) {
            fail(path, null, "a value (the key is missing or null)");
            return false;
        }
        return true;
    }

    private void all(PostwardenConfig c) {
        if (present("policy", c.policy())) {
            policy(c.policy());
        }
        if (present("http", c.http())) {
            listen("http.listen", c.http().listen());
        }
        if (present("store", c.store())) {
            store(c.store());
        }
        if (present("networks", c.networks())) {
            PostwardenConfig.Networks n = c.networks();
            strings("networks.local-domains", n.localDomains());
            strings("networks.own-names", n.ownNames());
            cidrs("networks.own-addresses", n.ownAddresses());
            cidrs("networks.trusted", n.trusted());
        }
        if (present("allowlist", c.allowlist())) {
            cidrs("allowlist.clients", c.allowlist().clients());
            strings("allowlist.sasl-users", c.allowlist().saslUsers());
            cidrs("allowlist.trust-ok", c.allowlist().trustOk());
        }
        if (present("checks", c.checks())) {
            PostwardenConfig.Checks k = c.checks();
            present("checks.rate-limit", k.rateLimit());
            present("checks.relay", k.relay());
            present("checks.helo", k.helo());
            present("checks.score", k.score());
            present("checks.ban", k.ban());
        }
        if (present("limits", c.limits())) {
            limits(c);
        }
        if (present("scoring", c.scoring())) {
            scoring(c.scoring());
        }
        if (present("helo", c.helo()) && present("helo.generic-patterns", c.helo().genericPatterns())) {
            List<String> p = c.helo().genericPatterns();
            for (int i = 0; i < p.size(); i++) {
                try {
                    Pattern.compile(p.get(i));
                } catch (PatternSyntaxException e) {
                    fail("helo.generic-patterns[" + i + "]", p.get(i), "a valid regular expression ("
                            + e.getDescription() + ")");
                }
            }
        }
    }

    private void policy(PostwardenConfig.Policy p) {
        listen("policy.listen", p.listen());
        range("policy.max-line-length", p.maxLineLength(), 256, 1 << 20);
        range("policy.max-attributes", p.maxAttributes(), 8, 10_000);
        range("policy.max-request-bytes", p.maxRequestBytes(), 1024, 16 << 20);
        if (p.maxRequestBytes() < p.maxLineLength()) {
            fail("policy.max-request-bytes", p.maxRequestBytes(), "at least policy.max-line-length ("
                    + p.maxLineLength() + ")");
        }
        positive("policy.idle-timeout", p.idleTimeout());
        positive("policy.time-budget", p.timeBudget());
        range("policy.max-connections", p.maxConnections(), 1, 1_000_000);
        if (present("policy.fallback-action", p.fallbackAction())) {
            String a = p.fallbackAction().trim();
            String upper = a.toUpperCase(Locale.ROOT);
            boolean ok = upper.equals("DUNNO") || upper.equals("DEFER") || upper.startsWith("DEFER ")
                    || a.matches("4\\d\\d( .*)?");
            if (!ok) {
                fail("policy.fallback-action", a, "DUNNO, DEFER [text] or a 4xx reply; never OK or a reject"
                        + " (a policy server in trouble must not invent a verdict)");
            }
        }
    }

    private void store(PostwardenConfig.Store s) {
        rangeL("store.max-clients", s.maxClients(), 1000, 100_000_000);
        rangeL("store.max-users", s.maxUsers(), 100, 10_000_000);
        positive("store.idle-expiry", s.idleExpiry());
        range("store.ipv6-wide-prefix", s.ipv6WidePrefix(), 16, 63);
        if (present("store.snapshot", s.snapshot())) {
            present("store.snapshot.path", s.snapshot().path());
            positive("store.snapshot.interval", s.snapshot().interval());
        }
    }

    private void limits(PostwardenConfig c) {
        PostwardenConfig.Limits l = c.limits();
        Duration longest = Duration.ZERO;
        for (var e : Map.of("host", l.host(), "subnet", l.subnet(), "wide", l.wide()).entrySet()) {
            String base = "limits." + e.getKey();
            if (!present(base, e.getValue())) {
                continue;
            }
            longest = max(longest, windows(base + ".connections", e.getValue().connections()));
            longest = max(longest, windows(base + ".messages", e.getValue().messages()));
            longest = max(longest, windows(base + ".recipients", e.getValue().recipients()));
        }
        if (present("limits.sasl-user", l.saslUser())) {
            longest = max(longest, windows("limits.sasl-user.messages", l.saslUser().messages()));
            longest = max(longest, windows("limits.sasl-user.recipients", l.saslUser().recipients()));
        }
        if (c.store() != null && c.store().idleExpiry() != null && longest.compareTo(c.store().idleExpiry()) > 0) {
            fail("store.idle-expiry", Durations.format(c.store().idleExpiry()),
                    "at least the longest limit window (" + Durations.format(longest) + ")");
        }
    }

    private static Duration max(Duration a, Duration b) {
        return a.compareTo(b) >= 0 ? a : b;
    }

    private Duration windows(String path, List<PostwardenConfig.Window> ws) {
        Duration longest = Duration.ZERO;
        if (!present(path, ws)) {
            return longest;
        }
        if (ws.size() > 4) {
            fail(path, ws.size() + " windows", "at most 4 windows per counter");
        }
        for (int i = 0; i < ws.size(); i++) {
            PostwardenConfig.Window w = ws.get(i);
            String p = path + "[" + i + "]";
            if (w == null) {
                fail(p, null, "{window: DURATION, max: N}");
                continue;
            }
            if (present(p + ".window", w.window())) {
                if (w.window().compareTo(Duration.ofSeconds(1)) < 0 || w.window().compareTo(Duration.ofDays(31)) > 0) {
                    fail(p + ".window", Durations.format(w.window()), "between 1s and 31d");
                } else if (w.window().toMillis() % 1000 != 0) {
                    fail(p + ".window", Durations.format(w.window()), "whole seconds");
                }
                longest = max(longest, w.window());
            }
            if (w.max() < 1 || w.max() > Integer.MAX_VALUE) {
                fail(p + ".max", w.max(), "a whole number from 1 to " + Integer.MAX_VALUE);
            }
        }
        return longest;
    }

    private void scoring(PostwardenConfig.Scoring s) {
        positive("scoring.half-life", s.halfLife());
        if (!(s.subnetFactor() >= 1.0 && s.subnetFactor() <= 1000)) {
            fail("scoring.subnet-factor", s.subnetFactor(), "a number from 1 to 1000");
        }
        if (present("scoring.weights", s.weights())) {
            PostwardenConfig.Weights w = s.weights();
            double[] ws = {w.relayAttempt(), w.heloNotFqdn(), w.heloGeneric(), w.heloIpMismatch(),
                w.heloClaimsOurName(), w.limitExceeded()};
            String[] names = {"relay-attempt", "helo-not-fqdn", "helo-generic", "helo-ip-mismatch",
                "helo-claims-our-name", "limit-exceeded"};
            for (int i = 0; i < ws.length; i++) {
                if (!(ws[i] >= -1000 && ws[i] <= 1000)) {
                    fail("scoring.weights." + names[i], ws[i], "a number from -1000 to 1000");
                }
            }
        }
        if (present("scoring.thresholds", s.thresholds())) {
            PostwardenConfig.Thresholds t = s.thresholds();
            nonNegative("scoring.thresholds.tag", t.tag());
            nonNegative("scoring.thresholds.defer", t.defer());
            nonNegative("scoring.thresholds.reject", t.reject());
            if (t.defer() > 0 && t.reject() > 0 && t.reject() < t.defer()) {
                fail("scoring.thresholds.reject", t.reject(), "at least scoring.thresholds.defer (" + t.defer() + ")");
            }
        }
        if (present("scoring.tag-header", s.tagHeader()) && !s.tagHeader().matches("[A-Za-z][A-Za-z0-9-]{0,62}")) {
            fail("scoring.tag-header", s.tagHeader(), "a header name (letters, digits, '-')");
        }
    }

    private void nonNegative(String path, double v) {
        if (!(v >= 0 && v < 1e6)) {
            fail(path, v, "a number from 0 (off) to 1000000");
        }
    }

    private void listen(String path, String v) {
        if (!present(path, v)) {
            return;
        }
        try {
            HostPort.parse(v);
        } catch (IllegalArgumentException e) {
            fail(path, v, e.getMessage());
        }
    }

    private void range(String path, int v, int min, int max) {
        if (v < min || v > max) {
            fail(path, v, "a whole number from " + min + " to " + max);
        }
    }

    private void rangeL(String path, long v, long min, long max) {
        if (v < min || v > max) {
            fail(path, v, "a whole number from " + min + " to " + max);
        }
    }

    private void positive(String path, Duration d) {
        if (present(path, d) && (d.isZero() || d.isNegative())) {
            fail(path, Durations.format(d), "a positive duration");
        }
    }

    private void strings(String path, List<String> list) {
        if (!present(path, list)) {
            return;
        }
        for (int i = 0; i < list.size(); i++) {
            if (list.get(i) == null || list.get(i).isBlank()) {
                fail(path + "[" + i + "]", list.get(i), "a non-empty string");
            }
        }
    }

    private void cidrs(String path, List<String> list) {
        if (!present(path, list)) {
            return;
        }
        for (int i = 0; i < list.size(); i++) {
            try {
                Cidr.parse(list.get(i));
            } catch (IllegalArgumentException e) {
                fail(path + "[" + i + "]", list.get(i), "a network like 192.0.2.0/24 or 2001:db8::/48 ("
                        + e.getMessage() + ")");
            }
        }
    }
}
