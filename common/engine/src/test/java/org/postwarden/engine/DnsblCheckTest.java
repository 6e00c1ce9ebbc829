package org.postwarden.engine;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.postwarden.config.PostwardenConfig;
import org.postwarden.config.load.ConfigLoader;
import org.postwarden.dnsbl.DnsblClient;
import org.postwarden.dnsbl.StubResolver;
import org.postwarden.metrics.PostwardenMetrics;
import org.postwarden.model.ClientKey;
import org.postwarden.model.KeyLevel;
import org.postwarden.model.MailEvent;
import org.postwarden.model.ManualTimeSource;
import org.postwarden.model.SmtpStage;
import org.postwarden.reputation.memory.MemoryReputationStore;
import org.postwarden.rules.Rules;
import org.postwarden.verdict.Action;
import org.postwarden.verdict.Decision;
import org.postwarden.verdict.Finding;
import org.postwarden.verdict.Verdict;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * DNSBL/DNSWL/RHSBL scoring through the engine, with recorded DNS answers ({@link StubResolver}): weights feed the
 * decision's score (never the stored one), allowlists offset bad HELOs, dry-run, failing zones, time budget.
 */
class DnsblCheckTest {
    static final long T0 = 1_800_000_000_000L;
    final ManualTimeSource time = new ManualTimeSource(T0);
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    final PostwardenMetrics metrics = new PostwardenMetrics(registry);
    final StubResolver dns = new StubResolver()
            .list("5.100.51.198.bl.test", 300, "127.0.0.4")
            .list("6.100.51.198.bl.test", 300, "127.0.0.10")
            .list("7.100.51.198.wl.test", 300, "127.0.10.2")
            .list("8.100.51.198.bl.test", 300, "127.255.255.254")
            .list("bad.example.dbl.test", 300, "127.0.1.2")
            .silent("9.100.51.198.bl.test");
    final List<DnsblClient> clients = new ArrayList<>();

    static final String BASE = """
            networks:
              local-domains: [example.test]
              trusted: [10.0.0.0/8]
            scoring:
              weights: {helo-generic: 9.0}
            dnsbl:
              enabled: true
              resolver: 127.0.0.1:5353
              timeout: 100ms
              zones:
                - bl.test=127.0.0.[2..9]*9
                - bl.test=127.0.0.[10;11]*4
                - wl.test=127.0.[0..255].[1..3]*-5
              rhsbl-helo: ["dbl.test=127.0.1.[2..99]*3"]
              rhsbl-sender:
                - dbl.test=127.0.1.[2..99]*6
            """;

    @AfterEach
    void close() {
        clients.forEach(DnsblClient::close);
    }

    DecisionEngine engine(String extra) throws Exception {
        return engineFrom(BASE + extra);
    }

    DecisionEngine engineFrom(String yaml) throws Exception {
        PostwardenConfig c = ConfigLoader.load("test", yaml);
        Rules rules = new Rules(c);
        DnsblClient client = new DnsblClient(rules.dnsbl(), dns, metrics, time);
        clients.add(client);
        return new DecisionEngine(rules, new MemoryReputationStore(rules.storeSettings(), time), metrics, client);
    }

    static MailEvent.Builder rcpt(String ip, String helo) {
        return MailEvent.builder(SmtpStage.RCPT).source("policy").client(ip).clientPort(4000).helo(helo)
                .sender("a@sender.example").recipient("u@example.test").instance("i1");
    }

    static Decision decide(DecisionEngine e, MailEvent ev) throws Exception {
        return e.decide(ev).toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    static Finding finding(Decision d, String reason) {
        return d.findings().stream().filter(f -> f.reason().equals(reason)).findFirst().orElse(null);
    }

    @Test
    void aListedClientIsDeferredWithTheZoneNamedAndAnUnlistedOnePasses() throws Exception {
        DecisionEngine e = engine("");
        Decision listed = decide(e, rcpt("198.51.100.5", "mail.sender.example").build());
        Verdict.Defer defer = assertInstanceOf(Verdict.Defer.class, listed.verdict());
        assertTrue(defer.text().contains("bl.test"), defer.text());
        assertTrue(defer.text().contains("score 9.0 >= 8.0"), defer.text());
        Finding f = finding(listed, "dnsbl");
        assertTrue(f.detail().contains("client 198.51.100.5 is listed in bl.test (127.0.0.4 matches "
                + "127.0.0.[2..9]): +9.0"), f.detail());
        assertEquals(9.0, f.value());
        assertEquals(Action.PASS, decide(e, rcpt("198.51.100.1", "mail.sender.example").build()).verdict().action());
    }

    @Test
    void eachMatchingEntryAddsItsOwnWeight() throws Exception {
        DecisionEngine e = engine("");
        Decision d = decide(e, rcpt("198.51.100.6", "mail.sender.example").build());
        assertEquals(Action.TAG, d.verdict().action(), "127.0.0.10 matches only the *4 entry");
        assertEquals(4.0, finding(d, "dnsbl").value());
    }

    @Test
    void listingsWeighOnEveryRequestButAreNeverStored() throws Exception {
        DecisionEngine e = engine("");
        for (int i = 0; i < 5; i++) {
            Decision d = decide(e, rcpt("198.51.100.5", "mail.sender.example").recipient("u" + i + "@example.test")
                    .build());
            assertEquals(Action.DEFER, d.verdict().action(), "request " + i);
            assertFalse(d.verdict() instanceof Verdict.Reject, "the listing does not pile up");
        }
        ClientKey host = ClientKey.of(org.postwarden.model.Cidr.parseAddress("198.51.100.5"), KeyLevel.HOST, 48);
        assertEquals(0.0, e.store().score(host), "nothing stored");
        assertEquals(1, dns.queries("5.100.51.198.bl.test"), "asked once, then cached");
        assertEquals(5.0, registry.get("postwarden.signals").tag("signal", "dnsbl").counter().count(),
                "the signal counts the decisions it weighed on");
    }

    @Test
    void aDnswlListedClientWithABadHeloIsLetThroughWhileAnUnlistedOneIsDeferred() throws Exception {
        DecisionEngine e = engine("");
        Decision plain = decide(e, rcpt("198.51.100.1", "WIN-ABCDEFG1").build());
        assertEquals(Action.DEFER, plain.verdict().action(), "helo-generic 9 >= defer 8");
        Decision allowlisted = decide(e, rcpt("198.51.100.7", "WIN-ABCDEFG1").build());
        assertEquals(Action.TAG, allowlisted.verdict().action(), "9 - 5 = 4: tag only");
        Finding wl = finding(allowlisted, "dnswl");
        assertEquals(-5.0, wl.value());
        assertTrue(wl.detail().contains("wl.test"), wl.detail());
    }

    @Test
    void rhsblWeighsTheHeloNameAndTheSenderDomain() throws Exception {
        DecisionEngine e = engine("");
        Decision helo = decide(e, rcpt("198.51.100.1", "bad.example").build());
        assertEquals(Action.TAG, helo.verdict().action());
        assertTrue(finding(helo, "dnsbl").detail().startsWith("HELO bad.example is listed in dbl.test"));
        Decision sender = decide(e, rcpt("198.51.100.2", "mail.sender.example").sender("x@Bad.Example").build());
        assertEquals(Action.TAG, sender.verdict().action(), "sender domain *6 < defer 8");
        assertTrue(finding(sender, "dnsbl").detail().startsWith("sender domain bad.example is listed in dbl.test"));
        Decision both = decide(e, rcpt("198.51.100.3", "bad.example").sender("x@bad.example").build());
        assertEquals(Action.DEFER, both.verdict().action(), "HELO 3 + sender 6 = 9 >= 8");
        assertEquals(1, dns.queries("bad.example.dbl.test"), "one query serves HELO and sender lookups");
    }

    @Test
    void dryRunMakesTheListingAWarning() throws Exception {
        DecisionEngine e = engine("checks: {dnsbl: {enabled: true, dry-run: true}}\n");
        Decision d = decide(e, rcpt("198.51.100.5", "mail.sender.example").build());
        Verdict.Warn w = assertInstanceOf(Verdict.Warn.class, d.verdict());
        assertTrue(w.text().startsWith("would defer: poor reputation"), w.text());
        assertEquals(Action.DEFER, d.wouldHave().action());
    }

    @Test
    void disabledCheckAsksNothing() throws Exception {
        DecisionEngine e = engine("checks: {dnsbl: {enabled: false, dry-run: false}}\n");
        assertEquals(Action.PASS, decide(e, rcpt("198.51.100.5", "mail.sender.example").build()).verdict().action());
        assertEquals(0, dns.totalQueries());
    }

    @Test
    void anErrorCodeScoresNothingAndIsExplained() throws Exception {
        DecisionEngine e = engine("");
        Decision d = decide(e, rcpt("198.51.100.8", "mail.sender.example").build());
        assertEquals(Action.PASS, d.verdict().action());
        Finding note = finding(d, "dnsbl-error-code");
        assertTrue(note.detail().contains("bl.test scores nothing"), note.detail());
        assertTrue(clients.get(0).failing("bl.test"));
    }

    @Test
    void authenticatedAndTrustedClientsAreNotLookedUp() throws Exception {
        DecisionEngine e = engine("");
        assertEquals(Action.PASS, decide(e, rcpt("198.51.100.5", "h.example").sasl("alice").build()).verdict()
                .action());
        assertEquals(Action.PASS, decide(e, rcpt("10.1.2.3", "h.example").build()).verdict().action());
        assertEquals(0, dns.totalQueries());
    }

    @Test
    void aSlowZoneNeverHoldsTheDecisionPastDnsblTimeoutAndNeverBlocksTheCaller() throws Exception {
        // The zone never answers and the wait is 2s: decide() must hand back an unfinished decision (had it
        // blocked, the decision would be complete by the time it returns).
        DecisionEngine e = engineFrom(BASE.replace("  timeout: 100ms\n", "  timeout: 2s\n  query-timeout: 25s\n")
                + "policy: {time-budget: 30s}\nmilter: {time-budget: 30s}\n");
        CompletableFuture<Decision> f = e.decide(rcpt("198.51.100.9", "mail.sender.example").build())
                .toCompletableFuture();
        assertFalse(f.isDone(), "decide() returns at once; the decision follows the DNS answers");
        assertFalse(f.isDone());
        Decision d = f.get(60, TimeUnit.SECONDS);
        assertEquals(Action.PASS, d.verdict().action(), "a zone that never answers scores nothing");
        Finding note = finding(d, "dnsbl-timeout");
        assertTrue(note.detail().contains("dnsbl.timeout (2000ms)"), note.detail());
        assertEquals(1.0, registry.get("postwarden.dnsbl.timeouts").tag("zone", "bl.test").tag("phase", "decision")
                .counter().count());
    }

    @Test
    void withoutAClientTheEngineHasNoDnsblCheck() throws Exception {
        PostwardenConfig c = ConfigLoader.load("test", BASE);
        Rules rules = new Rules(c);
        DecisionEngine e = new DecisionEngine(rules, new MemoryReputationStore(rules.storeSettings(), time), metrics);
        assertNull(e.dnsbl());
        assertEquals(Action.PASS, e.decideNow(rcpt("198.51.100.5", "mail.sender.example").build()).verdict()
                .action());
        assertEquals(0, dns.totalQueries());
    }
}
