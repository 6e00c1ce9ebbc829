package org.postwarden.dnsbl;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postwarden.dnsbl.zone.CodeFilter;
import org.postwarden.dnsbl.zone.DnsblSettings;
import org.postwarden.dnsbl.zone.DnsblZone;
import org.postwarden.dnsbl.zone.DnsblZoneParser;
import org.postwarden.dnsbl.zone.ZoneKind;
import org.postwarden.metrics.PostwardenMetrics;
import org.postwarden.model.Cidr;
import org.postwarden.model.ManualTimeSource;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The DNSBL client against a real DNS server (unbound on a loopback port, local zones only): IPv4 and IPv6
 * listings, NXDOMAIN, TTL-respecting cache, RHSBL, a zone answering Spamhaus-style error codes, SERVFAIL, a zone
 * whose server never answers, the per-decision wait, own-IP monitoring, and the DQS key kept out of logs and metrics.
 */
class DnsblClientUnboundTest {
    static final String KEY = "k3ytestk3ytestk3ytestk3yt";
    static final long T0 = 1_800_000_000_000L;

    @TempDir
    static Path dir;
    static UnboundServer unbound;

    final ManualTimeSource time = new ManualTimeSource(T0);
    final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    final PostwardenMetrics metrics = new PostwardenMetrics(registry);
    final List<DnsblClient> clients = new ArrayList<>();

    @BeforeAll
    static void startUnbound() throws Exception {
        unbound = UnboundServer.start(dir, silentPort -> """
                  local-zone: "bl.test." static
                  local-data: "bl.test. 300 IN SOA ns.bl.test. admin.bl.test. 1 3600 600 86400 120"
                  local-data: "22.0.0.127.bl.test. 45 IN A 127.0.0.4"
                  local-data: "22.0.0.127.bl.test. 45 IN A 127.0.0.10"
                  local-data: "2.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.bl.test. 7200 IN A 127.0.0.3"
                  local-zone: "wl.test." static
                  local-data: "33.0.0.127.wl.test. 300 IN A 127.0.10.2"
                  local-data: "22.0.0.127.wl.test. 300 IN A 127.0.10.0"
                  local-zone: "err.test." static
                  local-data: "22.0.0.127.err.test. 30 IN A 127.255.255.254"
                  local-data: "44.0.0.127.err.test. 30 IN A 127.0.0.2"
                  local-zone: "dbl.test." static
                  local-data: "bad.example.dbl.test. 300 IN A 127.0.1.2"
                  local-zone: "%1$s.zen.dq.spamhaus.net." static
                  local-data: "22.0.0.127.%1$s.zen.dq.spamhaus.net. 60 IN A 127.0.0.2"
                  local-data: "55.0.0.127.%1$s.zen.dq.spamhaus.net. 60 IN A 127.255.255.254"
                """.formatted(KEY) + UnboundServer.servfailStub("fail.test")
                + UnboundServer.silentStub("slow.test", silentPort));
    }

    @AfterAll
    static void stopUnbound() throws Exception {
        if (unbound != null) {
            unbound.close();
        }
    }

    @AfterEach
    void closeClients() {
        clients.forEach(DnsblClient::close);
    }

    DnsblClient client(Duration timeout, Duration queryTimeout, List<String> ownIps, String... specs) {
        List<DnsblZone> zones = new ArrayList<>();
        for (String s : specs) {
            ZoneKind kind = s.startsWith("helo:") ? ZoneKind.RHSBL_HELO : s.startsWith("sender:")
                    ? ZoneKind.RHSBL_SENDER : ZoneKind.CLIENT_IP;
            zones.add(DnsblZoneParser.parse(s.substring(s.indexOf(':') + 1), kind));
        }
        DnsblSettings settings = new DnsblSettings(unbound.address(), timeout, queryTimeout, 100, 1000,
                Duration.ofSeconds(60), Duration.ofHours(1), Duration.ofSeconds(10), zones,
                List.of(CodeFilter.parse("127.255.255.[0..255]"), CodeFilter.parse("127.0.0.255")), KEY,
                ownIps.stream().map(Cidr::parseAddress).toList(), Duration.ofMinutes(10));
        DnsblClient c = DnsblClient.create(settings, metrics, time);
        clients.add(c);
        return c;
    }

    DnsblClient client(String... specs) {
        return client(Duration.ofSeconds(5), Duration.ofSeconds(5), List.of(), specs);
    }

    static InetAddress ip(String s) {
        return Cidr.parseAddress(s);
    }

    static DnsblAnswers get(DnsblClient c, ZoneKind kind, Object target) throws Exception {
        return c.lookup(kind, target).toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    double counter(String name, String... tags) {
        var search = registry.find(name);
        for (int i = 0; i + 1 < tags.length; i += 2) {
            search = search.tag(tags[i], tags[i + 1]);
        }
        var c = search.counter();
        return c == null ? 0 : c.count();
    }

    double gauge(String name, String zone) {
        var g = registry.find(name).tag("zone", zone).gauge();
        return g == null ? Double.NaN : g.value();
    }

    @Test
    void listedIpv4ReturnsEveryCodeAndTheFilterPicksTheEntries() throws Exception {
        DnsblClient c = client("bl.test=127.0.0.[2..9]*6", "bl.test=127.0.0.[10;11]*2", "bl.test=127.0.0.99*50");
        DnsblAnswers a = get(c, ZoneKind.CLIENT_IP, ip("127.0.0.22"));
        DnsblResult.Listed l = assertInstanceOf(DnsblResult.Listed.class, a.result("bl.test"));
        assertEquals(java.util.Set.of("127.0.0.4", "127.0.0.10"), l.codes().stream()
                .map(InetAddress::getHostAddress).collect(java.util.stream.Collectors.toSet()));
        List<DnsblAnswers.Hit> hits = a.hits();
        assertEquals(2, hits.size(), hits.toString());
        assertEquals(6.0, hits.get(0).zone().weight());
        assertEquals("127.0.0.4", hits.get(0).codesText());
        assertEquals(2.0, hits.get(1).zone().weight());
        assertEquals("127.0.0.10", hits.get(1).codesText());
        assertEquals(1, counter("postwarden.dnsbl.queries", "zone", "bl.test"), "one query serves all entries");
        assertEquals(1, counter("postwarden.dnsbl.listings", "zone", "bl.test"));
    }

    @Test
    void listedIpv6IsAskedWith32Nibbles() throws Exception {
        DnsblClient c = client("bl.test*3");
        DnsblAnswers a = get(c, ZoneKind.CLIENT_IP, ip("2001:db8::22"));
        DnsblResult.Listed l = assertInstanceOf(DnsblResult.Listed.class, a.result("bl.test"));
        assertEquals("127.0.0.3", l.codesText());
        assertEquals(3.0, a.hits().get(0).zone().weight());
        assertInstanceOf(DnsblResult.NotListed.class, get(c, ZoneKind.CLIENT_IP, ip("2001:db8::23"))
                .result("bl.test"));
    }

    @Test
    void nxdomainIsNotListedAndBothAnswersAreCachedWithinTheirClampedTtl() throws Exception {
        DnsblClient c = client("bl.test*3");
        assertInstanceOf(DnsblResult.NotListed.class, get(c, ZoneKind.CLIENT_IP, ip("127.0.0.99")).result("bl.test"));
        assertTrue(get(c, ZoneKind.CLIENT_IP, ip("127.0.0.99")).hits().isEmpty());
        get(c, ZoneKind.CLIENT_IP, ip("127.0.0.22"));
        assertEquals(2, counter("postwarden.dnsbl.queries", "zone", "bl.test"));
        assertEquals(1, counter("postwarden.dnsbl.cache", "result", "hit"));

        // Listing TTL 45s is raised to min-ttl 60s; NXDOMAIN's SOA says 120s.
        time.advance(Duration.ofSeconds(59));
        get(c, ZoneKind.CLIENT_IP, ip("127.0.0.22"));
        get(c, ZoneKind.CLIENT_IP, ip("127.0.0.99"));
        assertEquals(2, counter("postwarden.dnsbl.queries", "zone", "bl.test"), "both still cached at 59s");
        time.advance(Duration.ofSeconds(2));
        assertInstanceOf(DnsblResult.Listed.class, get(c, ZoneKind.CLIENT_IP, ip("127.0.0.22")).result("bl.test"));
        get(c, ZoneKind.CLIENT_IP, ip("127.0.0.99"));
        assertEquals(3, counter("postwarden.dnsbl.queries", "zone", "bl.test"), "listing re-asked after 60s");
        time.advance(Duration.ofSeconds(60));
        get(c, ZoneKind.CLIENT_IP, ip("127.0.0.99"));
        assertEquals(4, counter("postwarden.dnsbl.queries", "zone", "bl.test"), "NXDOMAIN re-asked after 120s");
    }

    @Test
    void maxTtlCapsLongAnswers() throws Exception {
        DnsblClient c = client("bl.test*3");
        get(c, ZoneKind.CLIENT_IP, ip("2001:db8::22"));
        time.advance(Duration.ofMinutes(59));
        get(c, ZoneKind.CLIENT_IP, ip("2001:db8::22"));
        assertEquals(1, counter("postwarden.dnsbl.queries", "zone", "bl.test"));
        time.advance(Duration.ofMinutes(2));
        get(c, ZoneKind.CLIENT_IP, ip("2001:db8::22"));
        assertEquals(2, counter("postwarden.dnsbl.queries", "zone", "bl.test"), "TTL 7200s capped at max-ttl 1h");
    }

    @Test
    void rhsblAsksForTheDomainItself() throws Exception {
        DnsblClient c = client("helo:dbl.test=127.0.1.[2..99]*4", "sender:dbl.test=127.0.1.[2..99]*4");
        DnsblAnswers helo = get(c, ZoneKind.RHSBL_HELO, "bad.example");
        assertEquals(4.0, helo.hits().get(0).zone().weight());
        assertEquals(ZoneKind.RHSBL_HELO, helo.hits().get(0).zone().kind());
        assertTrue(get(c, ZoneKind.RHSBL_SENDER, "good.example").hits().isEmpty());
        DnsblLookup both = c.lookup(null, "bad.example", "bad.example").get(10, TimeUnit.SECONDS);
        assertNull(both.client());
        assertEquals(1, both.helo().hits().size());
        assertEquals(1, both.sender().hits().size());
    }

    @Test
    void errorCodesNeverListAndMarkTheZoneFailingUntilASaneAnswer() throws Exception {
        ListAppender<ILoggingEvent> logs = capture();
        try {
            DnsblClient c = client("err.test*10", "bl.test*3");
            DnsblAnswers a = get(c, ZoneKind.CLIENT_IP, ip("127.0.0.22"));
            DnsblResult.Failed f = assertInstanceOf(DnsblResult.Failed.class, a.result("err.test"));
            assertEquals(DnsblResult.Reason.ERROR_CODE, f.reason());
            assertTrue(f.detail().contains("127.255.255.254"), f.detail());
            assertEquals(List.of(3.0), a.hits().stream().map(h -> h.zone().weight()).toList(),
                    "only the sane zone scores");
            assertTrue(c.failing("err.test"));
            assertEquals(1.0, gauge("postwarden.dnsbl.zone.failing", "err.test"));
            assertEquals(0.0, gauge("postwarden.dnsbl.zone.failing", "bl.test"));
            assertEquals(1, counter("postwarden.dnsbl.errors", "zone", "err.test", "reason", "error-code"));
            assertTrue(logs.list.stream().anyMatch(e -> e.getFormattedMessage().contains(
                    "DNSBL zone err.test is failing")), "a log line names the zone");

            // A sane listing answer (127.0.0.2 for .44) brings it back; the error answer stays cached, unscored.
            DnsblAnswers sane = get(c, ZoneKind.CLIENT_IP, ip("127.0.0.44"));
            assertFalse(c.failing("err.test"));
            assertEquals(0.0, gauge("postwarden.dnsbl.zone.failing", "err.test"));
            assertEquals(10.0, sane.hits().get(0).zone().weight());
            assertTrue(logs.list.stream().anyMatch(e -> e.getFormattedMessage().contains(
                    "DNSBL zone err.test answers sanely again")));
        } finally {
            release(logs);
        }
    }

    @Test
    void whileAZoneIsFailingEvenItsCachedListingsScoreNothing() throws Exception {
        DnsblClient c = client("err.test*10");
        DnsblAnswers before = get(c, ZoneKind.CLIENT_IP, ip("127.0.0.44"));
        assertEquals(1, before.hits().size());
        get(c, ZoneKind.CLIENT_IP, ip("127.0.0.22"));
        assertTrue(c.failing("err.test"));
        DnsblAnswers cached = get(c, ZoneKind.CLIENT_IP, ip("127.0.0.44"));
        assertTrue(cached.hits().isEmpty(), "no scoring from a failing zone");
        assertEquals(DnsblResult.Reason.ERROR_CODE, cached.problems().get(0).failure().reason());
    }

    @Test
    void servfailScoresNothingAndIsCounted() throws Exception {
        DnsblClient c = client("fail.test*10", "bl.test*3");
        DnsblAnswers a = get(c, ZoneKind.CLIENT_IP, ip("127.0.0.22"));
        assertEquals(DnsblResult.Reason.SERVFAIL,
                assertInstanceOf(DnsblResult.Failed.class, a.result("fail.test")).reason());
        assertEquals(1, a.hits().size());
        assertFalse(c.failing("fail.test"), "SERVFAIL is not an error code: the zone is not marked failing");
        assertEquals(1, counter("postwarden.dnsbl.errors", "zone", "fail.test", "reason", "servfail"));
    }

    /** A client asking slow.test (whose server never answers, weight 10) and bl.test (weight 3). */
    DnsblClient slowAndSane(Duration timeout, Duration queryTimeout) {
        return client(timeout, queryTimeout, List.of(), "slow.test*10", "bl.test*3");
    }

    static long millisSince(long startNanos) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
    }

    /** slow.test timed out in {@code a}, and the failure's detail names {@code setting}. */
    static void assertTimeout(DnsblAnswers a, String setting) {
        DnsblResult.Failed f = assertInstanceOf(DnsblResult.Failed.class, a.result("slow.test"));
        assertEquals(DnsblResult.Reason.TIMEOUT, f.reason());
        assertTrue(f.detail().contains(setting), f.detail());
    }

    @Test
    void aZoneWhoseServerNeverAnswersTimesOutAndScoresNothing() throws Exception {
        // query-timeout 1.5s: ample for the local zone even on a loaded machine, and the silent one never answers.
        DnsblClient c = slowAndSane(Duration.ofSeconds(20), Duration.ofMillis(1500));
        long start = System.nanoTime();
        DnsblAnswers a = get(c, ZoneKind.CLIENT_IP, ip("127.0.0.22"));
        long ms = millisSince(start);
        assertTimeout(a, "dnsbl.query-timeout (1500ms)");
        assertEquals(List.of(3.0), a.hits().stream().map(h -> h.zone().weight()).toList());
        assertTrue(ms >= 1400, "the query timeout was waited for: " + ms + "ms");
        assertTrue(ms < 19_000, "and not the decision's wait (20s): " + ms + "ms");
        assertEquals(1, counter("postwarden.dnsbl.timeouts", "zone", "slow.test", "phase", "query"));
    }

    @Test
    void aDecisionWaitsAtMostDnsblTimeoutAndTheLateZoneCountsAsTimeout() throws Exception {
        // A 1.5s wait: ample for the local zone even on a loaded machine; the query timeout (30s) is far beyond.
        DnsblClient c = slowAndSane(Duration.ofMillis(1500), Duration.ofSeconds(30));
        long start = System.nanoTime();
        DnsblLookup l = c.lookup(ip("127.0.0.22"), null, null).get(25, TimeUnit.SECONDS);
        long ms = millisSince(start);
        assertTrue(ms >= 1400, "waited dnsbl.timeout: " + ms + "ms");
        assertTrue(ms < 29_000, "but not the query timeout: " + ms + "ms");
        assertTimeout(l.client(), "dnsbl.timeout");
        assertEquals(List.of(3.0), l.client().hits().stream().map(h -> h.zone().weight()).toList(),
                "the zone that answered in time scores");
        assertEquals(1, counter("postwarden.dnsbl.timeouts", "zone", "slow.test", "phase", "decision"));
    }

    @Test
    void ownIpsListedInABlocklistRaiseTheGaugeAllowlistsDoNot() throws Exception {
        ListAppender<ILoggingEvent> logs = capture();
        try {
            DnsblClient c = client(Duration.ofSeconds(5), Duration.ofSeconds(5),
                    List.of("127.0.0.22", "127.0.0.33", "127.0.0.99"), "bl.test*3", "wl.test*-5");
            Map<String, List<InetAddress>> listed = c.checkOwnIps().get(10, TimeUnit.SECONDS);
            assertEquals(List.of(ip("127.0.0.22")), listed.get("bl.test"));
            assertEquals(List.of(), listed.get("wl.test"), "an allowlist listing is good news");
            assertEquals(1.0, gauge("postwarden.dnsbl.own.ip.listed", "bl.test"));
            assertEquals(0.0, gauge("postwarden.dnsbl.own.ip.listed", "wl.test"));
            assertTrue(logs.list.stream().anyMatch(e -> e.getFormattedMessage().startsWith(
                    "our outbound address 127.0.0.22 is listed in DNSBL zone bl.test (")), "a log line says so");
            assertFalse(logs.list.stream().anyMatch(e -> e.getFormattedMessage().contains("127.0.0.33")));
        } finally {
            release(logs);
        }
    }

    @Test
    void theDqsKeyIsInQueryNamesOnlyNeverInLogsOrMetrics() throws Exception {
        ListAppender<ILoggingEvent> logs = capture();
        try {
            DnsblClient c = client("zen.dq.spamhaus.net=127.0.0.[2..11]*6");
            DnsblAnswers listed = get(c, ZoneKind.CLIENT_IP, ip("127.0.0.22"));
            assertEquals(6.0, listed.hits().get(0).zone().weight(), "the keyed name was asked and answered");
            assertEquals("zen.dq.spamhaus.net", listed.hits().get(0).zone().domain());
            DnsblAnswers refused = get(c, ZoneKind.CLIENT_IP, ip("127.0.0.55"));
            DnsblResult.Failed f = assertInstanceOf(DnsblResult.Failed.class, refused.result("zen.dq.spamhaus.net"));
            assertFalse(f.detail().contains(KEY), f.detail());
            assertTrue(c.failing("zen.dq.spamhaus.net"));
            String scrape = registry.scrape();
            assertTrue(scrape.contains("zone=\"zen.dq.spamhaus.net\""), "metrics use the configured zone name");
            assertFalse(scrape.contains(KEY), "no key in metrics");
            assertFalse(logs.list.isEmpty(), "the failing zone was logged");
            for (ILoggingEvent e : logs.list) {
                assertFalse(e.getFormattedMessage().contains(KEY), e.getFormattedMessage());
            }
            assertFalse(c.settings().toString().contains(KEY));
            assertNotNull(listed.toString());
            assertFalse(listed.toString().contains(KEY));
        } finally {
            release(logs);
        }
    }

    static ListAppender<ILoggingEvent> capture() {
        ListAppender<ILoggingEvent> a = new ListAppender<>();
        a.start();
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.addAppender(a);
        ((Logger) LoggerFactory.getLogger("org.postwarden")).setLevel(ch.qos.logback.classic.Level.DEBUG);
        ((Logger) LoggerFactory.getLogger("org.xbill.DNS")).setLevel(ch.qos.logback.classic.Level.WARN);
        return a;
    }

    static void release(ListAppender<ILoggingEvent> a) {
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.detachAppender(a);
        ((Logger) LoggerFactory.getLogger("org.postwarden")).setLevel(null);
    }
}
