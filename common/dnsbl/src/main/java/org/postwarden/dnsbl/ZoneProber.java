package org.postwarden.dnsbl;

import org.postwarden.dnsbl.zone.ZoneKind;
import org.postwarden.metrics.PostwardenMetrics;
import org.postwarden.model.TimeSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Probes every zone domain as RFC 5782 §5 describes, to catch a list that answers "listed" for every address (its
 * domain expired and was parked on a wildcard, or its operator retired it that way): a client-IP zone must list
 * 127.0.0.2 and must not list 127.0.0.1, {@code ::1}, {@code 2001:db8::1} (RFC 3849) or one address of each RFC 5737
 * documentation range (192.0.2.1, 198.51.100.1, 203.0.113.1), which no honest list lists; a domain zone (RHSBL) must
 * list {@code TEST} and must not list {@code INVALID}. {@code ::FFFF:7F00:2}, the IPv6 test point, is asked too but
 * not required (the configuration does not say which zones serve IPv6; a zone that lists it does).
 *
 * <p>Outcomes: a listed negative test point, or (with {@code dnsbl.probe.require-test-listing}) an unlisted positive
 * one, <em>fails</em> the probe: the zone is switched off at once (it scores nothing), logged, counted and reported
 * to the {@link DnsblWatch} once, until a probe <em>passes</em>. A probe some of whose queries got no usable answer
 * (timeout, SERVFAIL, network error, a query-error code) and that found nothing wrong in the rest changes nothing
 * ({@code no-answer}): a zone that does not answer is not evidence that it lists everything, and each lookup that
 * times out scores nothing anyway; it is logged once per streak. Probe queries bypass the answer cache. Zones in
 * {@code dnsbl.probe.exempt-zones} (a list of bogons lists the documentation ranges by design) are never probed.
 * Thread-safe.
 */
final class ZoneProber {
    private static final Logger LOG = LoggerFactory.getLogger(DnsblClient.class);

    /** Sentinel for {@link ZoneHealth#switchOff}: not probed yet (scores nothing until the first probe ends). */
    static final String PENDING = "not probed yet";

    /** One test point: the label in front of the zone, as logs show it, and whether it must be listed. */
    record TestPoint(String prefix, String shown, boolean listed, boolean required) {
    }

    /** IPv4 and IPv6 test points of a client-IP zone. */
    static List<TestPoint> ipTestPoints(boolean requireListing) {
        return List.of(
                new TestPoint("2.0.0.127", "127.0.0.2", true, requireListing),
                new TestPoint("1.0.0.127", "127.0.0.1", false, true),
                new TestPoint("1.2.0.192", "192.0.2.1", false, true),
                new TestPoint("1.100.51.198", "198.51.100.1", false, true),
                new TestPoint("1.113.0.203", "203.0.113.1", false, true),
                new TestPoint(nibbles("00000000000000000000ffff7f000002"), "::ffff:7f00:2", true, false),
                new TestPoint(nibbles("00000000000000000000000000000001"), "::1", false, true),
                new TestPoint(nibbles("20010db8000000000000000000000001"), "2001:db8::1", false, true));
    }

    /** The test points of a domain zone. */
    static List<TestPoint> domainTestPoints(boolean requireListing) {
        return List.of(new TestPoint("test", "TEST", true, requireListing),
                new TestPoint("invalid", "INVALID", false, true));
    }

    /** 32 hex digits as the reversed nibble labels of an IPv6 query name (RFC 5782 §2.4). */
    static String nibbles(String hex32) {
        StringBuilder sb = new StringBuilder(63);
        for (int i = hex32.length() - 1; i >= 0; i--) {
            sb.append(hex32.charAt(i));
            if (i > 0) {
                sb.append('.');
            }
        }
        return sb.toString();
    }

    /** What one probe of one zone found. */
    enum Outcome {
        PASS, FAIL, NO_ANSWER;

        String label() {
            return this == NO_ANSWER ? "no-answer" : name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** The last probe of one zone. */
    record Result(String zone, Outcome outcome, String detail, long atMillis) {
    }

    /** One zone domain to probe: a zone object of it (for the query domain and health), and its test points. */
    private record Target(Zone zone, List<TestPoint> points, List<String> kinds) {
    }

    private final Map<String, Target> targets = new LinkedHashMap<>();
    private final QuerySender sender;
    private final PostwardenMetrics metrics;
    private final TimeSource time;
    private final Supplier<DnsblWatch> watch;
    private final Map<String, Result> last = new ConcurrentHashMap<>();

    /** Zone domains never probed ({@code dnsbl.probe.exempt-zones}): they always score. */
    private final java.util.Set<String> exempt;

    ZoneProber(ZoneTable zones, boolean requireListing, java.util.Collection<String> exempt, QuerySender sender,
            PostwardenMetrics metrics, TimeSource time, Supplier<DnsblWatch> watch) {
        this.exempt = java.util.Set.copyOf(exempt);
        this.sender = sender;
        this.metrics = metrics;
        this.time = time;
        this.watch = watch;
        Map<String, List<TestPoint>> points = new LinkedHashMap<>();
        Map<String, Zone> zoneOf = new LinkedHashMap<>();
        Map<String, List<String>> kinds = new LinkedHashMap<>();
        for (ZoneKind k : ZoneKind.values()) {
            for (Zone z : zones.of(k)) {
                zoneOf.putIfAbsent(z.domain, z);
                List<String> ks = kinds.computeIfAbsent(z.domain, d -> new ArrayList<>());
                ks.add(k.label());
                List<TestPoint> p = points.computeIfAbsent(z.domain, d -> new ArrayList<>());
                List<TestPoint> add = k == ZoneKind.CLIENT_IP ? ipTestPoints(requireListing)
                        : domainTestPoints(requireListing);
                for (TestPoint t : add) {
                    if (!p.contains(t)) {
                        p.add(t);
                    }
                }
            }
        }
        for (Map.Entry<String, Zone> e : zoneOf.entrySet()) {
            targets.put(e.getKey(), new Target(e.getValue(), List.copyOf(points.get(e.getKey())),
                    List.copyOf(kinds.get(e.getKey()))));
        }
    }

    /** Every configured zone domain, in configuration order. */
    List<String> allDomains() {
        return List.copyOf(targets.keySet());
    }

    /** The zone domains probed (all but the exempt ones), in configuration order. */
    List<String> domains() {
        return targets.keySet().stream().filter(d -> !exempt.contains(d)).toList();
    }

    /** Whether {@code domain} is never probed. */
    boolean exempt(String domain) {
        return exempt.contains(domain);
    }

    /** What {@code domain} is asked about (kind labels). */
    List<String> kinds(String domain) {
        Target t = targets.get(domain);
        return t == null ? List.of() : t.kinds();
    }

    /** The last probe of {@code domain}, or null. */
    Result last(String domain) {
        return last.get(domain);
    }

    /** Takes over the last probe results of {@code previous} for the domains both probe. */
    void inherit(ZoneProber previous) {
        for (String d : targets.keySet()) {
            Result r = previous.last.get(d);
            if (r != null) {
                last.put(d, r);
            }
        }
    }

    /** Probes every zone now; completes (never exceptionally) when all have answered or timed out. */
    CompletableFuture<List<Result>> probeAll() {
        List<CompletableFuture<Result>> fs = new ArrayList<>();
        for (Target t : targets.values()) {
            if (!exempt.contains(t.zone().domain)) {
                fs.add(probe(t));
            }
        }
        return CompletableFuture.allOf(fs.toArray(CompletableFuture[]::new))
                .thenApply(v -> fs.stream().map(CompletableFuture::join).toList());
    }

    private CompletableFuture<Result> probe(Target t) {
        Zone z = t.zone();
        List<CompletableFuture<ZoneAnswer>> answers = new ArrayList<>(t.points().size());
        for (TestPoint p : t.points()) {
            answers.add(sender.query(ZoneKind.CLIENT_IP, z, p.prefix() + "." + z.queryDomain, p.shown(), true));
        }
        return CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new)).handle((v, e) -> {
            List<DnsblResult> results = new ArrayList<>(answers.size());
            for (CompletableFuture<ZoneAnswer> a : answers) {
                ZoneAnswer za = a.getNow(null);
                results.add(za == null ? new DnsblResult.Failed(DnsblResult.Reason.NETWORK, String.valueOf(e))
                        : za.result());
            }
            Result r = judge(z.domain, t.points(), results, time.millis());
            apply(z.health, r);
            return r;
        });
    }

    /** What the answers to the test points say (pure: no state). */
    static Result judge(String zone, List<TestPoint> points, List<DnsblResult> results, long now) {
        List<String> listedNegatives = new ArrayList<>();
        List<String> missingPositives = new ArrayList<>();
        List<String> unanswered = new ArrayList<>();
        for (int i = 0; i < points.size(); i++) {
            TestPoint p = points.get(i);
            DnsblResult r = results.get(i);
            if (r instanceof DnsblResult.Failed f) {
                if (p.required()) {
                    unanswered.add(p.shown() + " (" + f.reason().label() + ")");
                }
            } else if (!p.listed() && r instanceof DnsblResult.Listed l) {
                listedNegatives.add(p.shown() + " (" + l.codesText() + ")");
            } else if (p.listed() && p.required() && r instanceof DnsblResult.NotListed) {
                missingPositives.add(p.shown());
            }
        }
        if (!listedNegatives.isEmpty()) {
            return new Result(zone, Outcome.FAIL, "it lists " + String.join(", ", listedNegatives)
                    + ", which no list lists (RFC 5782 test points, documentation addresses): it seems to list "
                    + "everything (an expired domain or a retired list)", now);
        }
        if (!missingPositives.isEmpty()) {
            return new Result(zone, Outcome.FAIL, "it does not list its RFC 5782 test point "
                    + String.join(", ", missingPositives) + " (a misnamed, retired or empty zone; for a list "
                    + "without test points set dnsbl.probe.require-test-listing: false)", now);
        }
        if (!unanswered.isEmpty()) {
            return new Result(zone, Outcome.NO_ANSWER, "no usable answer for " + String.join(", ", unanswered),
                    now);
        }
        return new Result(zone, Outcome.PASS, "test points answered as RFC 5782 says", now);
    }

    /** Applies {@code r} to the zone's health: switches it off or on, logs and reports each change once. */
    void apply(ZoneHealth health, Result r) {
        Result before = last.put(r.zone(), r);
        metrics.dnsblProbe(r.zone(), r.outcome().label());
        String zone = r.zone();
        switch (r.outcome()) {
            case FAIL -> {
                String was = health.switchedOff();
                if (health.switchOff(r.detail()) || PENDING.equals(was)) {
                    LOG.warn("DNSBL zone {} is switched off: {}; it scores nothing until its probe passes (probed "
                            + "at start-up and every dnsbl.probe.interval)", zone, r.detail());
                    report(() -> watch.get().zoneSwitchedOff(zone, r.detail()));
                }
            }
            case PASS -> {
                String was = health.switchedOff();
                if (health.switchOn()) {
                    if (PENDING.equals(was)) {
                        LOG.debug("DNSBL zone {} passed its first probe", zone);
                    } else {
                        LOG.info("DNSBL zone {} passes its probe again ({}); its listings count again", zone,
                                r.detail());
                        report(() -> watch.get().zoneSwitchedOn(zone));
                    }
                }
            }
            case NO_ANSWER -> {
                String was = health.switchedOff();
                if (PENDING.equals(was)) {
                    // No evidence against the zone: it scores (a DNS outage already fails open per lookup).
                    health.switchOn();
                }
                if (before == null || before.outcome() != Outcome.NO_ANSWER) {
                    LOG.info("DNSBL zone {} gave no usable answer to its probe ({}); it stays {}", zone,
                            r.detail(), was == null || PENDING.equals(was) ? "on (not evidence that it lists "
                                    + "everything)" : "switched off (" + was + ")");
                }
            }
            default -> throw new IllegalStateException(r.outcome().toString());
        }
    }

    private static void report(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            LOG.warn("DNSBL monitor: reporting a change failed: {}", e.toString());
        }
    }
}
