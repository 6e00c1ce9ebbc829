package org.postwarden.config.load;

import org.postwarden.config.BanDurations;
import org.postwarden.config.Durations;
import org.postwarden.config.HostPort;
import org.postwarden.config.PostwardenConfig;
import org.postwarden.dnsbl.zone.CodeFilter;
import org.postwarden.dnsbl.zone.DnsblSettings;
import org.postwarden.dnsbl.zone.DnsblZoneParser;
import org.postwarden.dnsbl.zone.ZoneKind;
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
        if (present("milter", c.milter())) {
            milter(c);
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
            present("checks.dnsbl", k.dnsbl());
            present("checks.outbound", k.outbound());
        }
        if (present("limits", c.limits())) {
            limits(c);
        }
        if (present("scoring", c.scoring())) {
            scoring(c.scoring());
        }
        if (present("dnsbl", c.dnsbl())) {
            dnsbl(c);
        }
        if (present("admin", c.admin()) && present("admin.token-file", c.admin().tokenFile())
                && c.admin().tokenFile().indexOf('\u0000') >= 0) {
            fail("admin.token-file", c.admin().tokenFile(), "a file path, or \"\" to disable the admin API");
        }
        if (present("ingest", c.ingest())) {
            ingest(c.ingest());
        }
        if (present("bans", c.bans())) {
            bans(c);
        }
        if (present("outbound", c.outbound())) {
            outbound(c.outbound());
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

    private void dnsbl(PostwardenConfig c) {
        PostwardenConfig.Dnsbl d = c.dnsbl();
        if (present("dnsbl.resolver", d.resolver()) && !d.resolver().isBlank()) {
            listen("dnsbl.resolver", d.resolver());
        }
        if (present("dnsbl.timeout", d.timeout())) {
            between("dnsbl.timeout", d.timeout(), Duration.ofMillis(1), Duration.ofSeconds(30));
        }
        if (present("dnsbl.query-timeout", d.queryTimeout())) {
            between("dnsbl.query-timeout", d.queryTimeout(), Duration.ofMillis(10), Duration.ofSeconds(60));
        }
        range("dnsbl.max-in-flight", d.maxInFlight(), 1, 100_000);
        if (present("dnsbl.cache", d.cache())) {
            PostwardenConfig.DnsblCache k = d.cache();
            rangeL("dnsbl.cache.size", k.size(), 100, 10_000_000);
            if (present("dnsbl.cache.min-ttl", k.minTtl())) {
                between("dnsbl.cache.min-ttl", k.minTtl(), Duration.ZERO, Duration.ofDays(1));
            }
            if (present("dnsbl.cache.max-ttl", k.maxTtl())) {
                between("dnsbl.cache.max-ttl", k.maxTtl(), Duration.ofSeconds(1), Duration.ofDays(7));
                if (k.minTtl() != null && k.maxTtl().compareTo(k.minTtl()) < 0) {
                    fail("dnsbl.cache.max-ttl", Durations.format(k.maxTtl()), "at least dnsbl.cache.min-ttl ("
                            + Durations.format(k.minTtl()) + ")");
                }
            }
            if (present("dnsbl.cache.failure-ttl", k.failureTtl())) {
                between("dnsbl.cache.failure-ttl", k.failureTtl(), Duration.ZERO, Duration.ofHours(1));
            }
        }
        boolean dqsZone = zones("dnsbl.zones", d.zones(), ZoneKind.CLIENT_IP);
        dqsZone |= zones("dnsbl.rhsbl-helo", d.rhsblHelo(), ZoneKind.RHSBL_HELO);
        dqsZone |= zones("dnsbl.rhsbl-sender", d.rhsblSender(), ZoneKind.RHSBL_SENDER);
        if (present("dnsbl.error-codes", d.errorCodes())) {
            for (int i = 0; i < d.errorCodes().size(); i++) {
                try {
                    CodeFilter.parse(d.errorCodes().get(i));
                } catch (IllegalArgumentException e) {
                    fail("dnsbl.error-codes[" + i + "]", d.errorCodes().get(i), e.getMessage());
                }
            }
        }
        // The key is a secret: errors about it never show its value.
        boolean key = present("dnsbl.dqs-key", d.dqsKey()) && !d.dqsKey().isBlank();
        if (key && !DnsblSettings.validKey(d.dqsKey())) {
            fail("dnsbl.dqs-key", "(hidden, " + d.dqsKey().length() + " characters)",
                    "a Spamhaus DQS key: 16 to 64 letters and digits");
        }
        boolean keyFile = present("dnsbl.dqs-key-file", d.dqsKeyFile()) && !d.dqsKeyFile().isBlank();
        if (key && keyFile) {
            fail("dnsbl.dqs-key-file", d.dqsKeyFile(), "empty when dnsbl.dqs-key is set (give the key once)");
        }
        if (present("dnsbl.own-ips", d.ownIps())) {
            for (int i = 0; i < d.ownIps().size(); i++) {
                try {
                    Cidr.parseAddress(d.ownIps().get(i));
                } catch (IllegalArgumentException e) {
                    fail("dnsbl.own-ips[" + i + "]", d.ownIps().get(i), "an IP address like 192.0.2.25 or "
                            + "2001:db8::25 (" + e.getMessage() + ")");
                }
            }
        }
        if (present("dnsbl.own-ip-check-interval", d.ownIpCheckInterval())) {
            between("dnsbl.own-ip-check-interval", d.ownIpCheckInterval(), Duration.ofSeconds(10),
                    Duration.ofDays(7));
        }
        if (!d.enabled()) {
            return;
        }
        if (keyFile && !key) {
            try {
                DnsblSettings.readKeyFile(java.nio.file.Path.of(d.dqsKeyFile()));
            } catch (IllegalArgumentException e) {
                fail("dnsbl.dqs-key-file", d.dqsKeyFile(), "a readable file with the key on its first line ("
                        + e.getMessage() + ")");
            }
        }
        if (dqsZone && !key && !keyFile) {
            fail("dnsbl.dqs-key", "", "a key when a zone under dq.spamhaus.net is listed (or dnsbl.dqs-key-file)");
        }
        if (empty(d.zones()) && empty(d.rhsblHelo()) && empty(d.rhsblSender())) {
            fail("dnsbl.zones", "[]", "at least one zone in dnsbl.zones, dnsbl.rhsbl-helo or dnsbl.rhsbl-sender "
                    + "when dnsbl.enabled is true");
        }
        if (d.timeout() != null && d.queryTimeout() != null && d.timeout().compareTo(d.queryTimeout()) > 0) {
            fail("dnsbl.timeout", Durations.format(d.timeout()), "at most dnsbl.query-timeout ("
                    + Durations.format(d.queryTimeout()) + ")");
        }
        if (d.timeout() != null && c.policy() != null && c.policy().enabled() && c.policy().timeBudget() != null
                && d.timeout().compareTo(c.policy().timeBudget()) >= 0) {
            fail("dnsbl.timeout", Durations.format(d.timeout()), "less than policy.time-budget ("
                    + Durations.format(c.policy().timeBudget()) + "), or every slow lookup ends in the policy "
                    + "fallback instead of a decision");
        }
        if (d.timeout() != null && c.milter() != null && c.milter().enabled() && c.milter().timeBudget() != null
                && d.timeout().compareTo(c.milter().timeBudget()) >= 0) {
            fail("dnsbl.timeout", Durations.format(d.timeout()), "less than milter.time-budget ("
                    + Durations.format(c.milter().timeBudget()) + "), or every slow lookup ends in the milter "
                    + "fallback instead of a decision");
        }
    }

    private static boolean empty(List<String> l) {
        return l == null || l.isEmpty();
    }

    /** Validates zone entries; returns whether any is a Spamhaus DQS zone. */
    private boolean zones(String path, List<String> list, ZoneKind kind) {
        boolean dqs = false;
        if (!present(path, list)) {
            return false;
        }
        for (int i = 0; i < list.size(); i++) {
            String spec = list.get(i);
            if (spec != null && DnsblZoneParser.embedsDqsKey(spec)) {
                fail(path + "[" + i + "]", "(hidden: it looks like it contains a DQS key)",
                        "the zone without the key, e.g. zen.dq.spamhaus.net, and the key in dnsbl.dqs-key or "
                                + "dnsbl.dqs-key-file");
                continue;
            }
            try {
                dqs |= DnsblZoneParser.isDqs(DnsblZoneParser.parse(spec, kind).domain());
            } catch (IllegalArgumentException e) {
                fail(path + "[" + i + "]", spec, e.getMessage());
            }
        }
        return dqs;
    }

    private void between(String path, Duration d, Duration min, Duration max) {
        if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
            fail(path, Durations.format(d), "a duration from " + Durations.format(min) + " to "
                    + Durations.format(max));
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

    private void milter(PostwardenConfig c) {
        PostwardenConfig.Milter m = c.milter();
        listen("milter.listen", m.listen());
        range("milter.max-packet-bytes", m.maxPacketBytes(), 65_536, 16 << 20);
        positive("milter.idle-timeout", m.idleTimeout());
        positive("milter.time-budget", m.timeBudget());
        range("milter.max-connections", m.maxConnections(), 1, 1_000_000);
        range("milter.max-concurrent-per-client", m.maxConcurrentPerClient(), 0, 100_000);
        if (present("milter.fallback-action", m.fallbackAction())
                && !List.of("continue", "accept", "tempfail").contains(m.fallbackAction().trim())) {
            fail("milter.fallback-action", m.fallbackAction(), "continue, accept or tempfail; never a reject"
                    + " (a milter in trouble must not invent a verdict)");
        }
        if (present("milter.connect-refusal", m.connectRefusal())
                && !List.of("as-decided", "tempfail", "reject").contains(m.connectRefusal().trim())) {
            fail("milter.connect-refusal", m.connectRefusal(), "as-decided, tempfail or reject");
        }
        if (present("milter.header", m.header()) && present("milter.header.name", m.header().name())
                && !m.header().name().matches("[A-Za-z][A-Za-z0-9-]{0,62}")) {
            fail("milter.header.name", m.header().name(), "a header name (letters, digits, '-')");
        }
        if (present("milter.fingerprint", m.fingerprint())) {
            range("milter.fingerprint.body-prefix-bytes", m.fingerprint().bodyPrefixBytes(), 64, 65_535);
        }
        Duration longest = windows("milter.identical-messages", m.identicalMessages());
        if (c.store() != null && c.store().idleExpiry() != null && longest.compareTo(c.store().idleExpiry()) > 0) {
            fail("milter.identical-messages", Durations.format(longest),
                    "windows no longer than store.idle-expiry (" + Durations.format(c.store().idleExpiry()) + ")");
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
                w.heloClaimsOurName(), w.limitExceeded(), w.pregreet(), w.protocolViolation(), w.hangup(),
                w.postscreenDnsbl(), w.authFailure(), w.authLost(), w.tlsFailure(), w.relayDenied(),
                w.heloRejected()};
            String[] names = {"relay-attempt", "helo-not-fqdn", "helo-generic", "helo-ip-mismatch",
                "helo-claims-our-name", "limit-exceeded", "pregreet", "protocol-violation", "hangup",
                "postscreen-dnsbl", "auth-failure", "auth-lost", "tls-failure", "relay-denied", "helo-rejected"};
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

    // ---- ingest and bans ---------------------------------------------------------------------------------------

    private void ingest(PostwardenConfig.Ingest in) {
        paths("ingest.files", in.files());
        paths("ingest.docker-json", in.dockerJson());
        if (present("ingest.poll-interval", in.pollInterval())) {
            between("ingest.poll-interval", in.pollInterval(), Duration.ofMillis(10), Duration.ofMinutes(1));
        }
        range("ingest.max-line-length", in.maxLineLength(), 256, 1 << 20);
        if (present("ingest.state-path", in.statePath()) && in.statePath().indexOf('\u0000') >= 0) {
            fail("ingest.state-path", in.statePath(), "a file path, or \"\" to always start at the end");
        }
        if (present("ingest.max-line-age", in.maxLineAge())) {
            between("ingest.max-line-age", in.maxLineAge(), Duration.ZERO, Duration.ofDays(365));
        }
        if (present("ingest.syslog", in.syslog())) {
            PostwardenConfig.Syslog s = in.syslog();
            boolean udp = present("ingest.syslog.udp", s.udp()) && !s.udp().isBlank();
            boolean tcp = present("ingest.syslog.tcp", s.tcp()) && !s.tcp().isBlank();
            if (udp) {
                listen("ingest.syslog.udp", s.udp());
            }
            if (tcp) {
                listen("ingest.syslog.tcp", s.tcp());
            }
            if (s.enabled() && !udp && !tcp) {
                fail("ingest.syslog.udp", "", "a host:port in ingest.syslog.udp or ingest.syslog.tcp when "
                        + "ingest.syslog.enabled is true");
            }
            range("ingest.syslog.max-message-bytes", s.maxMessageBytes(), 480, 1 << 20);
            range("ingest.syslog.max-connections", s.maxConnections(), 1, 100_000);
            positive("ingest.syslog.idle-timeout", s.idleTimeout());
        }
    }

    private void paths(String path, List<String> list) {
        if (!present(path, list)) {
            return;
        }
        for (int i = 0; i < list.size(); i++) {
            String p = list.get(i);
            if (p == null || p.isBlank() || p.indexOf('\u0000') >= 0) {
                fail(path + "[" + i + "]", p, "a file path");
            }
        }
    }

    private void bans(PostwardenConfig c) {
        PostwardenConfig.Bans b = c.bans();
        nonNegative("bans.threshold", b.threshold());
        range("bans.subnet-min-hosts", b.subnetMinHosts(), 1, 256);
        if (present("bans.durations", b.durations())) {
            if (b.durations().isEmpty() || b.durations().size() > 16) {
                fail("bans.durations", b.durations(), "1 to 16 ban lengths, e.g. [1h, 1d, 1w, permanent]");
            }
            for (int i = 0; i < b.durations().size(); i++) {
                try {
                    BanDurations.parse(b.durations().get(i));
                } catch (IllegalArgumentException e) {
                    fail("bans.durations[" + i + "]", b.durations().get(i), BanDurations.EXPECTED);
                }
            }
        }
        cidrs("bans.permanent", b.permanent());
        cidrs("bans.ignore-networks", b.ignoreNetworks());
        strings("bans.ignore-users", b.ignoreUsers());
        nonNegative("bans.user-alert-threshold", b.userAlertThreshold());
        positive("bans.user-alert-interval", b.userAlertInterval());
        range("bans.ipv6-widen-after", b.ipv6WidenAfter(), 0, 1000);
        range("bans.max-ipv6-prefix", b.maxIpv6Prefix(), 16, 64);
        if (present("bans.private-majority", b.privateMajority())) {
            PostwardenConfig.PrivateMajority p = b.privateMajority();
            if (!(p.share() >= 0 && p.share() <= 1)) {
                fail("bans.private-majority.share", p.share(), "a share from 0 (guard off) to 1, e.g. 0.5");
            }
            positive("bans.private-majority.half-life", p.halfLife());
            cidrs("bans.private-majority.ranges", p.ranges());
        }
        if (present("bans.scanners", b.scanners())) {
            PostwardenConfig.Scanners s = b.scanners();
            if (present("bans.scanners.suffixes", s.suffixes())) {
                for (int i = 0; i < s.suffixes().size(); i++) {
                    String x = s.suffixes().get(i);
                    if (!dnsSuffix(x)) {
                        fail("bans.scanners.suffixes[" + i + "]", x, "a DNS name suffix like shodan.io");
                    }
                }
            }
            if (present("bans.scanners.resolver", s.resolver()) && !s.resolver().isBlank()) {
                listen("bans.scanners.resolver", s.resolver());
            }
            if (present("bans.scanners.timeout", s.timeout())) {
                between("bans.scanners.timeout", s.timeout(), Duration.ofMillis(10), Duration.ofSeconds(30));
            }
            if (present("bans.scanners.cache-ttl", s.cacheTtl())) {
                between("bans.scanners.cache-ttl", s.cacheTtl(), Duration.ofMinutes(1), Duration.ofDays(30));
            }
        }
        if (present("bans.export", b.export())) {
            PostwardenConfig.BanExport x = b.export();
            if (present("bans.export.cidr-map", x.cidrMap()) && x.cidrMap().indexOf('\u0000') >= 0) {
                fail("bans.export.cidr-map", x.cidrMap(), "a file path, or \"\" for no cidr map");
            }
            if (present("bans.export.cidr-result", x.cidrResult())) {
                String r = x.cidrResult().trim();
                String first = r.split("[ \t]+", 2)[0];
                if (!first.equalsIgnoreCase("REJECT") || r.indexOf('\n') >= 0 || r.indexOf('\r') >= 0
                        || r.length() > 200) {
                    fail("bans.export.cidr-result", x.cidrResult(), "REJECT, optionally followed by a text on the "
                            + "same line (postscreen_access_list only understands its first word)");
                }
            }
            if (present("bans.export.min-interval", x.minInterval())) {
                between("bans.export.min-interval", x.minInterval(), Duration.ZERO, Duration.ofHours(1));
            }
            if (present("bans.export.command-timeout", x.commandTimeout())) {
                between("bans.export.command-timeout", x.commandTimeout(), Duration.ofSeconds(1),
                        Duration.ofMinutes(10));
            }
            strings("bans.export.reload-command", x.reloadCommand());
            strings("bans.export.nftables-command", x.nftablesCommand());
            if (x.nftablesCommand() != null && !x.nftablesCommand().isEmpty()
                    && x.nftablesCommand().stream().noneMatch(a -> a != null && a.contains("${element}"))) {
                fail("bans.export.nftables-command", x.nftablesCommand(), "an argument containing ${element} "
                        + "(the banned network and its timeout)");
            }
        }
    }

    // ---- outbound guard ----------------------------------------------------------------------------------------

    private void outbound(PostwardenConfig.Outbound o) {
        if (present("outbound.action", o.action()) && !o.action().equals("hold") && !o.action().equals("defer")) {
            fail("outbound.action", o.action(), "hold or defer");
        }
        if (present("outbound.allow-senders", o.allowSenders())) {
            for (int i = 0; i < o.allowSenders().size(); i++) {
                String a = o.allowSenders().get(i);
                int at = a == null ? -1 : a.lastIndexOf('@');
                if (a == null || at < 0 || at == a.length() - 1 || a.indexOf('@') != at || a.isBlank()
                        || a.chars().anyMatch(ch -> ch <= ' ' || ch == '<' || ch == '>')) {
                    fail("outbound.allow-senders[" + i + "]", a, "an envelope sender like list-bounces@lists."
                            + "example.org, or a whole domain like @lists.example.org");
                }
            }
        }
        if (present("outbound.state-path", o.statePath()) && o.statePath().indexOf('\u0000') >= 0) {
            fail("outbound.state-path", o.statePath(), "the path of an earlier version's outbound state file to "
                    + "import once, or \"\"");
        }
        rangeL("outbound.max-profiles", o.maxProfiles(), 100, 10_000_000);
        if (present("outbound.profile-expiry", o.profileExpiry())) {
            between("outbound.profile-expiry", o.profileExpiry(), Duration.ofDays(1), Duration.ofDays(3650));
        }
        range("outbound.known-recipients", o.knownRecipients(), 16, 4096);
        if (present("outbound.baseline", o.baseline())) {
            if (present("outbound.baseline.half-life", o.baseline().halfLife())) {
                between("outbound.baseline.half-life", o.baseline().halfLife(), Duration.ofHours(1),
                        Duration.ofDays(365));
            }
            double f = o.baseline().factor();
            if (!(f >= 1.5 && f <= 1000)) {
                fail("outbound.baseline.factor", f, "a number from 1.5 to 1000 (how many times its usual hourly "
                        + "amount a sender may send)");
            }
        }
        boolean dims = present("outbound.floors", o.floors()) & present("outbound.ceilings", o.ceilings());
        if (dims) {
            dimension("messages", o.floors().messages(), o.ceilings().messages());
            dimension("recipients", o.floors().recipients(), o.ceilings().recipients());
            dimension("domains", o.floors().domains(), o.ceilings().domains());
            dimension("new-recipients", o.floors().newRecipients(), o.ceilings().newRecipients());
        }
        if (present("outbound.new-network", o.newNetwork())) {
            double f = o.newNetwork().factor();
            if (!(f > 0 && f <= 1)) {
                fail("outbound.new-network.factor", f, "a number above 0 and at most 1 (1 = no change)");
            }
            if (present("outbound.new-network.window", o.newNetwork().window())) {
                between("outbound.new-network.window", o.newNetwork().window(), Duration.ofMinutes(1),
                        Duration.ofDays(30));
            }
        }
        rangeL("outbound.identical-content-recipients", o.identicalContentRecipients(), 0, 1_000_000);
        if (present("outbound.failures", o.failures())) {
            double s = o.failures().maxShare();
            if (!(s > 0 && s <= 1)) {
                fail("outbound.failures.max-share", s, "a share above 0 and at most 1 (1 = off)");
            }
            rangeL("outbound.failures.min-deliveries", o.failures().minDeliveries(), 1, 1_000_000);
        }
        if (present("outbound.alerts", o.alerts())) {
            alerts(o.alerts());
        }
        if (present("outbound.queue", o.queue())) {
            queue(o.queue());
        }
    }

    private void dimension(String name, long floor, long ceiling) {
        rangeL("outbound.floors." + name, floor, 1, 10_000_000);
        rangeL("outbound.ceilings." + name, ceiling, 1, 10_000_000);
        if (ceiling < floor && floor >= 1) {
            fail("outbound.ceilings." + name, ceiling, "at least outbound.floors." + name + " (" + floor + ")");
        }
    }

    private void alerts(PostwardenConfig.Alerts a) {
        if (present("outbound.alerts.webhook", a.webhook())) {
            PostwardenConfig.Webhook w = a.webhook();
            if (present("outbound.alerts.webhook.url", w.url()) && !w.url().isBlank()) {
                try {
                    java.net.URI u = new java.net.URI(w.url());
                    if (!"http".equals(u.getScheme()) && !"https".equals(u.getScheme()) || u.getHost() == null) {
                        throw new java.net.URISyntaxException(w.url(), "not an absolute http(s) URL");
                    }
                } catch (java.net.URISyntaxException e) {
                    fail("outbound.alerts.webhook.url", w.url(), "an http:// or https:// URL, or \"\" for no "
                            + "webhook (" + e.getReason() + ")");
                }
            }
            if (present("outbound.alerts.webhook.timeout", w.timeout())) {
                between("outbound.alerts.webhook.timeout", w.timeout(), Duration.ofMillis(100), Duration.ofMinutes(5));
            }
            range("outbound.alerts.webhook.attempts", w.attempts(), 1, 20);
            if (present("outbound.alerts.webhook.retry-delay", w.retryDelay())) {
                between("outbound.alerts.webhook.retry-delay", w.retryDelay(), Duration.ofMillis(1),
                        Duration.ofHours(1));
            }
        }
        if (present("outbound.alerts.mail", a.mail())) {
            strings("outbound.alerts.mail.command", a.mail().command());
            header("outbound.alerts.mail.to", a.mail().to());
            header("outbound.alerts.mail.from", a.mail().from());
        }
    }

    private void header(String path, String v) {
        if (present(path, v) && (v.isBlank() || v.length() > 200 || v.chars().anyMatch(ch -> ch < ' '))) {
            fail(path, v, "a mail address on one line (at most 200 characters)");
        }
    }

    private void queue(PostwardenConfig.Queue q) {
        if (present("outbound.queue.interval", q.interval())) {
            between("outbound.queue.interval", q.interval(), Duration.ofSeconds(1), Duration.ofHours(1));
        }
        strings("outbound.queue.list-command", q.listCommand());
        if (q.listCommand() != null && q.listCommand().isEmpty()) {
            fail("outbound.queue.list-command", "[]", "a command (argv), e.g. [postqueue, -j]");
        }
        strings("outbound.queue.postsuper-command", q.postsuperCommand());
        if (q.postsuperCommand() != null && q.postsuperCommand().isEmpty()) {
            fail("outbound.queue.postsuper-command", "[]", "a command (argv), e.g. [postsuper]");
        }
        if (present("outbound.queue.command-timeout", q.commandTimeout())) {
            between("outbound.queue.command-timeout", q.commandTimeout(), Duration.ofSeconds(1),
                    Duration.ofMinutes(10));
        }
        range("outbound.queue.max-messages", q.maxMessages(), 100, 10_000_000);
        rangeL("outbound.queue.alert-depth", q.alertDepth(), 0, 100_000_000);
        if (present("outbound.queue.alert-oldest-age", q.alertOldestAge())) {
            between("outbound.queue.alert-oldest-age", q.alertOldestAge(), Duration.ZERO, Duration.ofDays(365));
        }
        double s = q.alertSenderShare();
        if (!(s >= 0 && s <= 1)) {
            fail("outbound.queue.alert-sender-share", s, "a share from 0 (off) to 1");
        }
        rangeL("outbound.queue.alert-sender-min-messages", q.alertSenderMinMessages(), 1, 100_000_000);
        nonNegative("outbound.queue.alert-growth-per-minute", q.alertGrowthPerMinute());
        if (present("outbound.queue.alert-interval", q.alertInterval())) {
            between("outbound.queue.alert-interval", q.alertInterval(), Duration.ofSeconds(1), Duration.ofDays(7));
        }
    }

    /** A DNS name suffix: labels of 1 to 63 letters, digits and inner hyphens, optional leading/trailing dot. */
    private static boolean dnsSuffix(String s) {
        if (s == null || s.isEmpty() || s.length() > 253) {
            return false;
        }
        String t = s.startsWith(".") ? s.substring(1) : s;
        t = t.endsWith(".") ? t.substring(0, t.length() - 1) : t;
        if (t.isEmpty()) {
            return false;
        }
        for (String label : t.split("\\.", -1)) {
            if (label.isEmpty() || label.length() > 63 || label.startsWith("-") || label.endsWith("-")) {
                return false;
            }
            for (int i = 0; i < label.length(); i++) {
                char ch = label.charAt(i);
                if (!(ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '-')) {
                    return false;
                }
            }
        }
        return true;
    }
}
