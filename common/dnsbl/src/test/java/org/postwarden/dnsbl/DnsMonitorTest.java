package org.postwarden.dnsbl;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.postwarden.dnsbl.zone.CodeFilter;
import org.postwarden.dnsbl.zone.DnsblSettings;
import org.postwarden.dnsbl.zone.DnsblZone;
import org.postwarden.dnsbl.zone.DnsblZoneParser;
import org.postwarden.dnsbl.zone.ZoneKind;
import org.postwarden.metrics.PostwardenMetrics;
import org.postwarden.model.Cidr;
import org.postwarden.model.ManualTimeSource;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Section;

import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The DNSBL monitor with a manual clock and an in-process resolver whose zone contents a test changes between
 * rounds: the schedule (what is due when, one round at a time), the RFC 5782 probe's outcomes and the zone's state
 * transitions (pending, scoring, switched off, back on; no answer changes nothing), own addresses listed and
 * delisted with one report each, and what a replacing client takes over.
 */
class DnsMonitorTest {
    static final long T0 = 1_800_000_000_000L;
    static final Duration PROBE = Duration.ofMinutes(5);
    static final Duration OWN = Duration.ofMinutes(10);

    final ManualTimeSource time = new ManualTimeSource(T0);
    final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    final PostwardenMetrics metrics = new PostwardenMetrics(registry);
    final Zones dns = new Zones();
    final Events events = new Events();
    final List<DnsblClient> clients = new ArrayList<>();

    @AfterEach
    void close() {
        clients.forEach(DnsblClient::close);
    }

    /** Answers from a function of the query name that a test swaps: codes (listed), null (NXDOMAIN) or SILENT. */
    static final class Zones extends InProcessResolver {
        static final List<String> SILENT = List.of("silent");
        /** Answered NXDOMAIN only by {@link #release()}. */
        static final List<String> HELD = List.of("held");
        final List<Runnable> held = new CopyOnWriteArrayList<>();
        volatile Function<String, List<String>> answer = n -> null;
        final Map<String, AtomicInteger> asked = new ConcurrentHashMap<>();
        final AtomicInteger total = new AtomicInteger();

        /** An honest list: RFC 5782 test point 127.0.0.2 and {@code listed} (query names), nothing else. */
        void honest(String zone, String... listed) {
            List<String> names = new ArrayList<>(List.of("2.0.0.127." + zone, "test." + zone));
            names.addAll(List.of(listed));
            answer = n -> names.contains(n) ? List.of("127.0.0.2") : null;
        }

        /** A list that lists everything (an expired domain on a wildcard). */
        void everything() {
            answer = n -> List.of("127.0.0.2");
        }

        /** Answers every held query (NXDOMAIN). */
        void release() {
            held.forEach(Runnable::run);
            held.clear();
        }

        int asked(String name) {
            AtomicInteger n = asked.get(name);
            return n == null ? 0 : n.get();
        }

        @Override
        public CompletionStage<Message> sendAsync(Message query, Executor executor) {
            Name qn = query.getQuestion().getName();
            String name = qn.toString(true).toLowerCase(Locale.ROOT);
            total.incrementAndGet();
            asked.computeIfAbsent(name, k -> new AtomicInteger()).incrementAndGet();
            List<String> codes = answer.apply(name);
            if (codes == SILENT) {
                return new CompletableFuture<>();
            }
            Message m = new Message(query.getHeader().getID());
            m.getHeader().setFlag(Flags.QR);
            m.addRecord(query.getQuestion(), Section.QUESTION);
            if (codes == HELD) {
                CompletableFuture<Message> later = new CompletableFuture<>();
                m.getHeader().setRcode(Rcode.NXDOMAIN);
                held.add(() -> later.complete(m));
                return later;
            }
            try {
                if (codes == null) {
                    m.getHeader().setRcode(Rcode.NXDOMAIN);
                } else {
                    for (String c : codes) {
                        m.addRecord(new ARecord(qn, DClass.IN, 60, InetAddress.getByName(c)), Section.ANSWER);
                    }
                }
            } catch (java.net.UnknownHostException e) {
                return CompletableFuture.failedFuture(e);
            }
            return CompletableFuture.completedFuture(m);
        }
    }

    /** The reports, as text, in order. */
    static final class Events implements DnsblWatch {
        final List<String> seen = new CopyOnWriteArrayList<>();

        @Override
        public void ownAddressListed(InetAddress address, String zone, String codes) {
            seen.add("listed " + address.getHostAddress() + " " + zone + " " + codes);
        }

        @Override
        public void ownAddressDelisted(InetAddress address, String zone) {
            seen.add("delisted " + address.getHostAddress() + " " + zone);
        }

        @Override
        public void zoneSwitchedOff(String zone, String why) {
            seen.add("off " + zone + ": " + why);
        }

        @Override
        public void zoneSwitchedOn(String zone) {
            seen.add("on " + zone);
        }
    }

    DnsblClient client(boolean requireListing, Duration probe, List<String> own, String... specs) {
        return client(requireListing, probe, Duration.ofMillis(300), own, specs);
    }

    DnsblClient client(boolean requireListing, Duration probe, Duration queryTimeout, List<String> own,
            String... specs) {
        return client(requireListing, probe, queryTimeout, List.of(), own, specs);
    }

    DnsblClient client(boolean requireListing, Duration probe, Duration queryTimeout, List<String> exempt,
            List<String> own, String... specs) {
        List<DnsblZone> zones = new ArrayList<>();
        for (String s : specs) {
            ZoneKind kind = s.startsWith("helo:") ? ZoneKind.RHSBL_HELO : ZoneKind.CLIENT_IP;
            zones.add(DnsblZoneParser.parse(s.substring(s.indexOf(':') + 1), kind));
        }
        DnsblSettings settings = new DnsblSettings(null, Duration.ofSeconds(5), queryTimeout, 100, 1000,
                Duration.ofSeconds(60), Duration.ofHours(1), Duration.ofSeconds(10), zones,
                List.of(CodeFilter.parse("127.255.255.[0..255]")), "",
                own.stream().map(Cidr::parseAddress).toList(), OWN, probe, requireListing, exempt);
        DnsblClient c = new DnsblClient(settings, dns, metrics, time);
        clients.add(c);
        return c;
    }

    DnsblClient started(List<String> own, String... specs) {
        DnsblClient c = client(true, PROBE, own, specs);
        c.startMonitoring(events, null, false);
        return c;
    }

    static void poll(DnsblClient c) throws Exception {
        c.pollMonitor().get(10, TimeUnit.SECONDS);
    }

    static String state(DnsblClient c, String zone) {
        return c.status().zones().stream().filter(z -> z.zone().equals(zone)).findFirst().orElseThrow().state();
    }

    static boolean scores(DnsblClient c, String ip) throws Exception {
        // a fresh address each time: the answer cache is not what is tested here
        return !c.lookup(ZoneKind.CLIENT_IP, Cidr.parseAddress(ip)).get(10, TimeUnit.SECONDS).hits().isEmpty();
    }

    double gauge(String name, String zone) {
        var g = registry.find(name).tag("zone", zone).gauge();
        return g == null ? Double.NaN : g.value();
    }

    double counter(String name, String... tags) {
        var search = registry.find(name);
        for (int i = 0; i + 1 < tags.length; i += 2) {
            search = search.tag(tags[i], tags[i + 1]);
        }
        var c = search.counter();
        return c == null ? 0 : c.count();
    }

    @Test
    void aZoneIsPendingUntilItsFirstProbeThenScores() throws Exception {
        dns.honest("bl.test", "9.2.0.192.bl.test", "10.2.0.192.bl.test");
        DnsblClient c = started(List.of(), "bl.test*5");
        assertEquals("pending", state(c, "bl.test"));
        assertFalse(scores(c, "192.0.2.9"), "not probed yet: scores nothing");
        poll(c);
        assertEquals("scoring", state(c, "bl.test"));
        assertTrue(scores(c, "192.0.2.10"));
        assertEquals(1, counter("postwarden.dnsbl.probes", "zone", "bl.test", "result", "pass"));
        assertEquals(List.of(), events.seen, "the first pass is not news");
        assertEquals(2, counter("postwarden.dnsbl.listings", "zone", "bl.test"),
                "the two lookups' listings; the probe's (127.0.0.2) is not counted as a listing");
    }

    @Test
    void theScheduleRunsProbesAndOwnChecksWhenDueAndNotBefore() throws Exception {
        dns.honest("bl.test");
        DnsblClient c = started(List.of("192.0.2.25"), "bl.test*5");
        poll(c);
        assertEquals(1, dns.asked("2.0.0.127.bl.test"), "probed at start");
        assertEquals(1, dns.asked("25.2.0.192.bl.test"), "own address checked at start");
        time.advance(Duration.ofMinutes(4));
        poll(c);
        assertEquals(1, dns.asked("2.0.0.127.bl.test"), "not due yet");
        assertEquals(1, dns.asked("25.2.0.192.bl.test"));
        time.advance(Duration.ofMinutes(1));
        poll(c);
        assertEquals(2, dns.asked("2.0.0.127.bl.test"), "probe due after 5 min");
        assertEquals(1, dns.asked("25.2.0.192.bl.test"), "own check not due before 10 min");
        time.advance(Duration.ofMinutes(5));
        poll(c);
        assertEquals(3, dns.asked("2.0.0.127.bl.test"));
        assertEquals(2, dns.asked("25.2.0.192.bl.test"), "own check due after 10 min, asked afresh (no cache)");
    }

    @Test
    void aRoundStillOutIsNotStartedTwice() throws Exception {
        dns.answer = n -> Zones.HELD;
        DnsblClient c = client(true, PROBE, Duration.ofMinutes(5), List.of(), "bl.test*5");
        c.startMonitoring(events, null, false);
        CompletableFuture<Void> first = c.pollMonitor();
        assertFalse(first.isDone(), "its queries are not answered yet");
        time.advance(PROBE);
        assertTrue(c.pollMonitor().isDone(), "a poll while a round is out does nothing");
        assertEquals(1, dns.asked("2.0.0.127.bl.test"));
        dns.answer = n -> null;
        dns.release();
        first.get(10, TimeUnit.SECONDS);
        poll(c);
        assertEquals(2, dns.asked("2.0.0.127.bl.test"), "due, and the round before has ended");
    }

    @Test
    void aZoneThatListsEverythingIsSwitchedOffAtOnceAndBackWhenItAnswersSanely() throws Exception {
        dns.honest("bl.test", "9.2.0.192.bl.test", "10.2.0.192.bl.test", "11.2.0.192.bl.test");
        DnsblClient c = started(List.of(), "bl.test*5");
        poll(c);
        assertTrue(scores(c, "192.0.2.9"));

        dns.everything();
        time.advance(PROBE);
        poll(c);
        assertEquals("switched-off", state(c, "bl.test"));
        assertTrue(c.failing("bl.test"));
        assertFalse(scores(c, "192.0.2.10"), "a zone that lists everything scores nothing");
        assertFalse(scores(c, "192.0.2.9"), "not even from an answer cached before");
        assertEquals(1.0, gauge("postwarden.dnsbl.zone.switched.off", "bl.test"));
        assertEquals(0.0, gauge("postwarden.dnsbl.zone.failing", "bl.test"), "not an error-code failure");
        assertEquals(1, events.seen.size(), events.seen.toString());
        assertTrue(events.seen.get(0).startsWith("off bl.test: it lists 127.0.0.1 (127.0.0.2), 192.0.2.1"),
                events.seen.toString());
        String why = c.status().zones().get(0).why();
        assertTrue(why.contains("switched off by its probe"), why);

        time.advance(PROBE);
        poll(c);
        assertEquals(1, events.seen.size(), "still failing: reported once, not once per probe");
        assertEquals(2, counter("postwarden.dnsbl.probes", "zone", "bl.test", "result", "fail"));

        dns.honest("bl.test", "11.2.0.192.bl.test");
        time.advance(PROBE);
        poll(c);
        assertEquals("scoring", state(c, "bl.test"));
        assertEquals(List.of("on bl.test"), events.seen.subList(1, events.seen.size()));
        assertEquals(0.0, gauge("postwarden.dnsbl.zone.switched.off", "bl.test"));
        assertTrue(scores(c, "192.0.2.11"));
    }

    @Test
    void aProbeWithoutAnswerChangesNothingAndIsLoggedNotReported() throws Exception {
        dns.honest("bl.test", "9.2.0.192.bl.test");
        DnsblClient c = started(List.of(), "bl.test*5");
        poll(c);
        dns.answer = n -> Zones.SILENT;
        time.advance(PROBE);
        poll(c);
        assertEquals("scoring", state(c, "bl.test"), "a resolver that does not answer leaves the zone on");
        assertEquals("no-answer", c.status().zones().get(0).lastProbe());
        assertEquals(1, counter("postwarden.dnsbl.probes", "zone", "bl.test", "result", "no-answer"));

        dns.everything();
        time.advance(PROBE);
        poll(c);
        assertEquals("switched-off", state(c, "bl.test"));
        dns.answer = n -> Zones.SILENT;
        time.advance(PROBE);
        poll(c);
        assertEquals("switched-off", state(c, "bl.test"), "and a switched-off zone off");
        assertEquals(1, events.seen.size(), events.seen.toString());
    }

    @Test
    void atStartAZoneWithoutAnswerScoresAndOneThatListsEverythingDoesNot() throws Exception {
        dns.answer = n -> n.endsWith("slow.test") ? Zones.SILENT : n.endsWith("all.test") ? List.of("127.0.0.2")
                : null;
        DnsblClient c = started(List.of(), "slow.test*5", "all.test*5");
        poll(c);
        assertEquals("scoring", state(c, "slow.test"), "no answer is no evidence: on");
        assertEquals("switched-off", state(c, "all.test"));
        assertEquals(1, events.seen.size(), "switched off from pending is reported");
    }

    @Test
    void aZoneNotListingItsTestPointFailsUnlessThatIsNotRequired() throws Exception {
        dns.answer = n -> n.equals("9.2.0.192.bl.test") ? List.of("127.0.0.2") : null;
        DnsblClient strict = client(true, PROBE, List.of(), "bl.test*5");
        strict.startMonitoring(events, null, false);
        poll(strict);
        assertEquals("switched-off", state(strict, "bl.test"));
        assertTrue(events.seen.get(0).contains("does not list its RFC 5782 test point 127.0.0.2"),
                events.seen.toString());

        DnsblClient lenient = client(false, PROBE, List.of(), "bl.test*5");
        lenient.startMonitoring(DnsblWatch.NONE, null, false);
        poll(lenient);
        assertEquals("scoring", state(lenient, "bl.test"));
    }

    @Test
    void domainZonesAreProbedWithTestAndInvalid() throws Exception {
        dns.answer = n -> n.equals("test.dbl.test") || n.startsWith("invalid.all.test") ? List.of("127.0.1.2")
                : n.equals("test.all.test") ? List.of("127.0.1.2") : null;
        DnsblClient c = started(List.of(), "helo:dbl.test*4", "helo:all.test*4");
        poll(c);
        assertEquals("scoring", state(c, "dbl.test"));
        assertEquals("switched-off", state(c, "all.test"));
        assertEquals(List.of("rhsbl-helo"), c.status().zones().get(0).kinds());
        assertEquals(0, dns.asked("2.0.0.127.dbl.test"), "a domain zone is not asked about addresses");
    }

    @Test
    void probesOffMeansNoProbeAndNoPendingState() throws Exception {
        dns.everything();
        DnsblClient c = client(true, Duration.ZERO, List.of(), "bl.test*5");
        c.startMonitoring(events, null, false);
        poll(c);
        assertEquals(0, dns.total.get());
        assertEquals("scoring", state(c, "bl.test"));
        assertEquals(0, c.status().probeIntervalSeconds());
    }

    @Test
    void anOwnAddressListedIsReportedOnceAndItsDelistingOnce() throws Exception {
        dns.honest("bl.test", "25.2.0.192.bl.test");
        DnsblClient c = started(List.of("192.0.2.25", "192.0.2.26"), "bl.test*5");
        poll(c);
        assertEquals(List.of("listed 192.0.2.25 bl.test 127.0.0.2"), events.seen);
        assertEquals(1.0, gauge("postwarden.dnsbl.own.ip.listed", "bl.test"));
        assertEquals("192.0.2.25", c.status().ownListed().get(0).address());
        assertEquals(T0, c.status().ownListed().get(0).sinceMillis());
        assertEquals(T0, c.status().lastOwnCheckMillis());
        time.advance(OWN);
        poll(c);
        assertEquals(1, events.seen.size(), "still listed: no second report");
        assertEquals(T0, c.status().ownListed().get(0).sinceMillis(), "listed since the first check");

        Function<String, List<String>> before = dns.answer;
        dns.answer = n -> n.startsWith("2.0.0.127.") || n.startsWith("25.2.0.192.") ? Zones.SILENT
                : before.apply(n);
        time.advance(OWN);
        poll(c);
        assertEquals(1.0, gauge("postwarden.dnsbl.own.ip.listed", "bl.test"), "a lookup without answer keeps it");

        dns.honest("bl.test");
        time.advance(OWN);
        poll(c);
        assertEquals(List.of("listed 192.0.2.25 bl.test 127.0.0.2", "delisted 192.0.2.25 bl.test"), events.seen);
        assertEquals(0.0, gauge("postwarden.dnsbl.own.ip.listed", "bl.test"));
        assertTrue(c.status().ownListed().isEmpty());
    }

    @Test
    void aZoneThatListsEverythingDoesNotListOurAddress() throws Exception {
        dns.everything();
        DnsblClient c = started(List.of("192.0.2.25"), "bl.test*5");
        poll(c);
        assertEquals(1, events.seen.size(), events.seen.toString());
        assertTrue(events.seen.get(0).startsWith("off bl.test"), "the probe runs first in a round");
        assertEquals(0.0, gauge("postwarden.dnsbl.own.ip.listed", "bl.test"));
    }

    @Test
    void aReplacingClientTakesOverWhatItsPredecessorKnew() throws Exception {
        dns.answer = n -> n.endsWith("all.test") || n.equals("25.2.0.192.bl.test")
                || n.equals("2.0.0.127.bl.test") ? List.of("127.0.0.2") : null;
        DnsblClient first = started(List.of("192.0.2.25"), "bl.test*5", "all.test*5");
        poll(first);
        assertEquals(2, events.seen.size(), events.seen.toString());

        DnsblClient next = client(true, PROBE, List.of("192.0.2.25"), "bl.test*5", "all.test*5", "new.test*1");
        next.startMonitoring(events, first, false);
        assertEquals("switched-off", state(next, "all.test"), "off from the start: no window of scoring");
        assertEquals("scoring", state(next, "bl.test"));
        assertEquals("pending", state(next, "new.test"), "a zone the predecessor did not know waits for its probe");
        assertEquals(1, next.status().ownListed().size());
        poll(next);
        assertEquals(2, events.seen.stream().filter(e -> !e.startsWith("off new.test")).count(),
                "no second report of what was known: " + events.seen);
    }

    @Test
    void withProbesOffAReplacingClientDoesNotKeepAZoneOff() throws Exception {
        dns.everything();
        DnsblClient first = started(List.of(), "bl.test*5");
        poll(first);
        assertEquals("switched-off", state(first, "bl.test"));
        DnsblClient next = client(true, Duration.ZERO, List.of(), "bl.test*5");
        next.startMonitoring(events, first, false);
        assertEquals("scoring", state(next, "bl.test"), "no probe would ever switch it on again");
    }

    @Test
    void anExemptZoneIsNeverProbedAndAlwaysScores() throws Exception {
        dns.everything();
        DnsblClient c = client(true, PROBE, Duration.ofMillis(300), List.of("bogons.test"), List.of(),
                "bogons.test*5", "bl.test*5");
        c.startMonitoring(events, null, false);
        assertEquals("scoring", state(c, "bogons.test"), "not pending either");
        poll(c);
        assertEquals(0, dns.asked("1.0.0.127.bogons.test"));
        assertEquals("exempt", c.status().zones().get(0).lastProbe());
        assertEquals("switched-off", state(c, "bl.test"));
        assertTrue(scores(c, "192.0.2.9"), "the exempt zone scores");
    }

    @Test
    void judgeNamesWhatIsWrong() {
        List<ZoneProber.TestPoint> points = ZoneProber.ipTestPoints(true);
        List<DnsblResult> all = new ArrayList<>();
        for (int i = 0; i < points.size(); i++) {
            all.add(points.get(i).listed() ? new DnsblResult.Listed(List.of(v4("127.0.0.2")))
                    : DnsblResult.NOT_LISTED);
        }
        assertEquals(ZoneProber.Outcome.PASS, ZoneProber.judge("z", points, all, 1).outcome());
        List<DnsblResult> v6missing = new ArrayList<>(all);
        v6missing.set(5, DnsblResult.NOT_LISTED);
        assertEquals("::ffff:7f00:2", points.get(5).shown());
        assertEquals(ZoneProber.Outcome.PASS, ZoneProber.judge("z", points, v6missing, 1).outcome(),
                "the IPv6 test point is not required");
        List<DnsblResult> timeout = new ArrayList<>(all);
        timeout.set(2, new DnsblResult.Failed(DnsblResult.Reason.TIMEOUT, "t"));
        ZoneProber.Result r = ZoneProber.judge("z", points, timeout, 1);
        assertEquals(ZoneProber.Outcome.NO_ANSWER, r.outcome());
        assertEquals("no usable answer for 192.0.2.1 (timeout)", r.detail());
        timeout.set(7, new DnsblResult.Listed(List.of(v4("127.0.0.4"))));
        r = ZoneProber.judge("z", points, timeout, 1);
        assertEquals(ZoneProber.Outcome.FAIL, r.outcome(), "a listed negative is evidence despite a timeout");
        assertTrue(r.detail().startsWith("it lists 2001:db8::1 (127.0.0.4)"), r.detail());
    }

    @Test
    void ipv6TestPointsAreTheRfc5782Names() {
        List<ZoneProber.TestPoint> points = ZoneProber.ipTestPoints(true);
        assertEquals(QueryNames.reversed(Cidr.parseAddress("::1")), points.get(6).prefix());
        assertEquals(QueryNames.reversed(Cidr.parseAddress("2001:db8::1")), points.get(7).prefix());
        // ::FFFF:7F00:2 is an IPv4-mapped address, which Java would turn into 127.0.0.2: spelled out instead
        assertEquals("2.0.0.0.0.0.f.7.f.f.f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0", points.get(5).prefix());
    }

    static java.net.Inet4Address v4(String s) {
        return (java.net.Inet4Address) Cidr.parseAddress(s);
    }
}
