package org.postwarden.engine;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.postwarden.config.load.ConfigLoader;
import org.postwarden.dnsbl.DnsblClient;
import org.postwarden.dnsbl.PoolSettings;
import org.postwarden.dnsbl.RegisteredDomains;
import org.postwarden.dnsbl.SenderPools;
import org.postwarden.dnsbl.StubResolver;
import org.postwarden.dnsbl.ZoneResolver;
import org.postwarden.metrics.PostwardenMetrics;
import org.postwarden.model.ClientKey;
import org.postwarden.model.KeyLevel;
import org.postwarden.model.MailEvent;
import org.postwarden.model.ManualTimeSource;
import org.postwarden.model.SmtpStage;
import org.postwarden.reputation.memory.MemoryReputationStore;
import org.postwarden.reputation.memory.StoreSnapshot;
import org.postwarden.rules.Rules;
import org.postwarden.verdict.Action;
import org.postwarden.verdict.Decision;
import org.postwarden.verdict.Finding;
import org.postwarden.verdict.Verdict;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Selective greylisting through the engine, on the injected clock: every window (delay, retry window, max age),
 * auto-allowlisting, who is doubtful and who is never greylisted, the sender pools (networks, SPF, PTR, the lookup
 * budget), dry-run, the reply, persistence in the store snapshot.
 */
class GreylistCheckTest {
    static final long T0 = 1_800_000_000_000L;
    final ManualTimeSource time = new ManualTimeSource(T0);
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    final PostwardenMetrics metrics = new PostwardenMetrics(registry);
    final AtomicInteger ports = new AtomicInteger(40000);
    final List<AutoCloseable> closing = new ArrayList<>();
    MemoryReputationStore store;

    static final String BASE = """
            allowlist: {clients: [203.0.113.250/32]}
            """;

    /** {@code extra} with the test's networks and greylisting on, unless it sets those sections itself. */
    static String yaml(String extra) {
        return BASE + (extra.matches("(?s)(.*\n)?networks:.*") ? "" : "networks: {local-domains: [example.test], "
                + "trusted: [10.0.0.0/8]}\n") + (extra.matches("(?s)(.*\n)?greylist:.*") ? ""
                : "greylist: {enabled: true}\n") + extra;
    }

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : closing) {
            c.close();
        }
    }

    DecisionEngine engine(String extra) throws Exception {
        return engine(extra, null, null);
    }

    DecisionEngine engine(String extra, SenderPools pools, DnsblClient dnsbl) throws Exception {
        Rules rules = new Rules(ConfigLoader.load("test", yaml(extra)));
        if (store == null) {
            store = new MemoryReputationStore(rules.storeSettings(), time);
        }
        return new DecisionEngine(rules, store, metrics, dnsbl, pools);
    }

    /** A RCPT of a new SMTP session from {@code ip} without a verified reverse name (doubtful by default). */
    MailEvent.Builder rcpt(String ip, String from, String to) {
        int port = ports.incrementAndGet();
        return MailEvent.builder(SmtpStage.RCPT).source("policy").client(ip).clientPort(port).clientName("unknown")
                .helo("mail.sender.example").sender(from).recipient(to).instance("i" + port);
    }

    MailEvent first(String ip) {
        return rcpt(ip, "alice@sender.example", "bob@example.test").build();
    }

    static Decision decide(DecisionEngine e, MailEvent ev) throws Exception {
        return e.decide(ev).toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    static Verdict.Defer greylisted(Decision d) {
        Verdict.Defer v = assertInstanceOf(Verdict.Defer.class, d.verdict(), () -> d.verdict() + " " + d.findings());
        assertTrue(v.text().startsWith("greylisted, try again in "), v.text());
        assertEquals("greylisted", d.primaryReason());
        return v;
    }

    static void passes(Decision d) {
        passes(d, "passes");
    }

    static void passes(Decision d, String why) {
        assertFalse(d.verdict().action().atLeast(Action.HOLD), () -> why + ": " + d.verdict() + " " + d.findings());
    }

    static boolean noted(Decision d, String reason) {
        return d.findings().stream().anyMatch(f -> f.reason().equals(reason));
    }

    double count(String name, String... tags) {
        Counter c = registry.find(name).tags(tags).counter();
        return c == null ? 0 : c.count();
    }

    @Test
    void offByDefaultNothingIsGreylistedOrStored() throws Exception {
        Rules rules = new Rules(ConfigLoader.load("test", "networks: {local-domains: [example.test]}"));
        store = new MemoryReputationStore(rules.storeSettings(), time);
        DecisionEngine e = new DecisionEngine(rules, store, metrics, null, null);
        passes(decide(e, first("198.51.100.7")));
        assertEquals(0, count("postwarden.greylist", "result", "greylisted"));
    }

    @Test
    void aFirstAttemptIsDeferredWithDeferIfPermitNamingTheRetryTime() throws Exception {
        DecisionEngine e = engine("");
        Decision d = decide(e, first("198.51.100.7"));
        Verdict.Defer v = greylisted(d);
        assertTrue(v.ifPermit(), "greylist.action defer-if-permit: Postfix's DEFER_IF_PERMIT");
        assertEquals("greylisted, try again in 300 seconds (after " + Instant.ofEpochMilli(T0 + 300_000) + ")",
                v.text());
        assertTrue(noted(d, "greylist-doubtful"));
        assertTrue(d.findings().stream().anyMatch(f -> f.detail().contains("no verified reverse name")),
                d.findings().toString());
        assertEquals(1, count("postwarden.greylist", "result", "greylisted"));
        assertEquals(1, count("postwarden.decisions", "action", "defer", "reason", "greylisted"));
    }

    @Test
    void aRetryBeforeTheDelayIsStillDeferredAfterItPassesAndStaysPassed() throws Exception {
        DecisionEngine e = engine("");
        greylisted(decide(e, first("198.51.100.7")));
        time.advance(Duration.ofMinutes(4).plusSeconds(59));
        Verdict.Defer early = greylisted(decide(e, first("198.51.100.7")));
        assertEquals("greylisted, try again in 1 seconds (after " + Instant.ofEpochMilli(T0 + 300_000) + ")",
                early.text(), "the retry time stays the first attempt's plus the delay");
        assertEquals(1, count("postwarden.greylist", "result", "early"));
        time.advance(Duration.ofSeconds(1));
        Decision passed = decide(e, first("198.51.100.7"));
        passes(passed);
        assertTrue(noted(passed, "greylist-passed"), passed.findings().toString());
        assertEquals(1, count("postwarden.greylist", "result", "passed"));
        time.advance(Duration.ofDays(20));
        Decision known = decide(e, first("198.51.100.7"));
        passes(known);
        assertTrue(noted(known, "greylist-known"));
        Decision neighbour = decide(e, first("198.51.100.99"));
        passes(neighbour);
        assertTrue(noted(neighbour, "greylist-known"), "the triplet's client is the /24");
        greylisted(decide(e, rcpt("198.51.100.7", "alice@sender.example", "carol@example.test").build()));
        greylisted(decide(e, rcpt("198.51.100.7", "other@sender.example", "bob@example.test").build()));
        greylisted(decide(e, first("198.51.101.7")));
    }

    @Test
    void aRetryAfterTheRetryWindowStartsOver() throws Exception {
        DecisionEngine e = engine("");
        greylisted(decide(e, first("198.51.100.7")));
        time.advance(Duration.ofDays(2).plusSeconds(1));
        Verdict.Defer again = greylisted(decide(e, first("198.51.100.7")));
        assertTrue(again.text().contains("try again in 300 seconds"), again.text());
        assertEquals(2, count("postwarden.greylist", "result", "greylisted"));
        time.advance(Duration.ofMinutes(5));
        passes(decide(e, first("198.51.100.7")));
    }

    @Test
    void aRetryAtTheEndOfTheRetryWindowStillPasses() throws Exception {
        DecisionEngine e = engine("");
        greylisted(decide(e, first("198.51.100.7")));
        time.advance(Duration.ofDays(2));
        passes(decide(e, first("198.51.100.7")));
    }

    @Test
    void entriesUnseenForTheMaxAgeAreForgottenSeenOnesAreKept() throws Exception {
        DecisionEngine e = engine("");
        greylisted(decide(e, first("198.51.100.7")));
        time.advance(Duration.ofMinutes(5));
        passes(decide(e, first("198.51.100.7")));
        time.advance(Duration.ofDays(34));
        passes(decide(e, first("198.51.100.7")));
        time.advance(Duration.ofDays(34));
        passes(decide(e, first("198.51.100.7")), "seen 34 days ago: kept (35 days since the last time seen)");
        time.advance(Duration.ofDays(35).plusSeconds(1));
        greylisted(decide(e, first("198.51.100.7")));
    }

    @Test
    void aNetworkWhoseRetriesPassedFiveTimesIsAutoAllowlisted() throws Exception {
        DecisionEngine e = engine("");
        for (int i = 0; i < 5; i++) {
            greylisted(decide(e, rcpt("198.51.100.7", "alice@sender.example", "u" + i + "@example.test").build()));
            time.advance(Duration.ofMinutes(5));
            Decision d = decide(e, rcpt("198.51.100.8", "alice@sender.example", "u" + i + "@example.test").build());
            passes(d);
            assertEquals(i == 4, noted(d, "greylist-auto-allowlisted"), d.findings().toString());
        }
        assertEquals(1, count("postwarden.greylist.auto.allowlisted"));
        Decision fresh = decide(e, rcpt("198.51.100.9", "new@other.example", "dave@example.test").build());
        passes(fresh);
        assertTrue(fresh.findings().stream().anyMatch(f -> f.detail().contains("is auto-allowlisted")),
                fresh.findings().toString());
        assertEquals(1, count("postwarden.greylist", "result", "auto-allowlisted"));
        greylisted(decide(e, rcpt("198.51.101.9", "new@other.example", "dave@example.test").build()));
        time.advance(Duration.ofDays(35).plusSeconds(1));
        greylisted(decide(e, rcpt("198.51.100.9", "new@other.example", "erin@example.test").build()));
    }

    @Test
    void autoAllowlistingCanBeTurnedOff() throws Exception {
        DecisionEngine e = engine("greylist: {enabled: true, auto-allowlist-after: 0}\n");
        for (int i = 0; i < 6; i++) {
            greylisted(decide(e, rcpt("198.51.100.7", "a@sender.example", "u" + i + "@example.test").build()));
            time.advance(Duration.ofMinutes(5));
            passes(decide(e, rcpt("198.51.100.7", "a@sender.example", "u" + i + "@example.test").build()));
        }
        greylisted(decide(e, rcpt("198.51.100.7", "a@sender.example", "x@example.test").build()));
    }

    @Test
    void onlyDoubtfulClientsAreGreylisted() throws Exception {
        DecisionEngine e = engine("");
        MailEvent named = rcpt("198.51.100.7", "a@sender.example", "bob@example.test")
                .clientName("mail.sender.example").build();
        Decision d = decide(e, named);
        passes(d);
        assertFalse(noted(d, "greylist-doubtful"), "a verified name, a real HELO, no score: not doubtful");
        greylisted(decide(e, rcpt("198.51.101.7", "a@sender.example", "bob@example.test")
                .clientName("mx.sender.example").helo("WIN-ABCDEF12").build()));
        greylisted(decide(e, rcpt("198.51.102.7", "a@sender.example", "bob@example.test")
                .clientName("mx.sender.example").helo("localhost").build()));
        greylisted(decide(e, rcpt("198.51.103.7", "a@sender.example", "bob@example.test")
                .clientName("mx.sender.example").helo("[198.51.103.7]").build()));
        ClientKey scored = ClientKey.of(org.postwarden.model.Cidr.parseAddress("198.51.104.7"), KeyLevel.HOST, 48);
        store.addScore(scored, 3.0);
        Decision byScore = decide(e, rcpt("198.51.104.7", "a@sender.example", "bob@example.test")
                .clientName("mx.sender.example").build());
        greylisted(byScore);
        assertTrue(byScore.findings().stream().anyMatch(f -> f.detail().contains("score 3.0 >= greylist.min-score "
                + "3.0")), byScore.findings().toString());
    }

    @Test
    void theDoubtCriteriaAreConfigurable() throws Exception {
        DecisionEngine e = engine("greylist: {enabled: true, no-reverse-name: false, generic-helo: false, "
                + "min-score: 0}\n");
        passes(decide(e, rcpt("198.51.100.7", "a@sender.example", "bob@example.test").helo("WIN-ABCDEF12")
                .build()));
    }

    @Test
    void neverAuthenticatedTrustedAllowlistedNonLocalOrAlreadyRefused() throws Exception {
        DecisionEngine e = engine("");
        passes(decide(e, rcpt("198.51.100.7", "a@sender.example", "bob@example.test").sasl("alice").build()));
        passes(decide(e, first("10.1.2.3")));
        passes(decide(e, first("203.0.113.250")));
        Decision relay = decide(e, rcpt("198.51.100.7", "a@sender.example", "x@elsewhere.example").build());
        assertFalse(noted(relay, "greylist-doubtful"), "a relay attempt is Postfix's to reject");
        store.addScore(ClientKey.of(org.postwarden.model.Cidr.parseAddress("198.51.105.7"), KeyLevel.HOST, 48),
                20);
        Decision rejected = decide(e, first("198.51.105.7"));
        assertEquals(Action.REJECT, rejected.verdict().action());
        assertFalse(noted(rejected, "greylist-doubtful"), "no entry for a RCPT that is refused anyway");
        assertEquals(0, count("postwarden.greylist", "result", "greylisted"));
    }

    /** An END-OF-MESSAGE that passes, from the policy server and again from the milter (counted once). */
    void acceptedMessage(DecisionEngine e, String ip, String id) throws Exception {
        passes(decide(e, MailEvent.builder(SmtpStage.END_OF_MESSAGE).source("policy").client(ip)
                .clientPort(ports.incrementAndGet()).clientName("mx.sender.example").helo("mx.sender.example")
                .sender("a@sender.example").queueId("Q" + id).instance(id).recipientCount(1).build()));
        passes(decide(e, MailEvent.builder(SmtpStage.END_OF_MESSAGE).source("milter").client(ip)
                .clientPort(ports.get()).queueId("Q" + id).build()));
    }

    @Test
    void aHostWithACleanHistoryIsNeverGreylisted() throws Exception {
        DecisionEngine e = engine("");
        for (int i = 0; i < 5; i++) {
            acceptedMessage(e, "198.51.100.7", "m" + i);
        }
        Decision d = decide(e, first("198.51.100.7"));
        passes(d);
        assertTrue(d.findings().stream().anyMatch(f -> f.detail().contains("has a clean history")),
                d.findings().toString());
        greylisted(decide(e, first("198.51.100.8")), "its neighbour has no history of its own");
        // its own score reaches the tag threshold the way scores rise: a signal (a failed login from the logs, 3 points)
        e.observe(org.postwarden.api.LogSignal.of(org.postwarden.model.Signal.AUTH_FAILURE,
                org.postwarden.model.Cidr.parseAddress("198.51.100.7"), "SASL LOGIN authentication failed"));
        greylisted(decide(e, rcpt("198.51.100.7", "a@sender.example", "x@example.test").build()),
                "its own score is at the tag threshold");
        time.advance(Duration.ofHours(10));
        greylisted(decide(e, rcpt("198.51.100.7", "a@sender.example", "y@example.test").build()),
                "its score decayed, but it was at the tag threshold within store.idle-expiry");
        time.advance(Duration.ofDays(1));
        acceptedMessage(e, "198.51.100.7", "m10");
        time.advance(Duration.ofDays(1));
        acceptedMessage(e, "198.51.100.7", "m11");
        passes(decide(e, rcpt("198.51.100.7", "a@sender.example", "z@example.test").build()),
                "the taint is older than store.idle-expiry, and it kept sending");
        time.advance(Duration.ofDays(2).plusSeconds(1));
        greylisted(decide(e, rcpt("198.51.100.7", "a@sender.example", "w@example.test").build()),
                "a history unseen for store.idle-expiry is forgotten");
    }

    static void greylisted(Decision d, String why) {
        assertEquals(Action.DEFER, d.verdict().action(), why + ": " + d.findings());
        assertEquals("greylisted", d.primaryReason(), why);
    }

    @Test
    void fiveAcceptedMessagesCountOnceEachWhateverReportsThem() throws Exception {
        DecisionEngine e = engine("");
        ClientKey host = ClientKey.of(org.postwarden.model.Cidr.parseAddress("198.51.100.7"), KeyLevel.HOST, 48);
        for (int i = 0; i < 4; i++) {
            MailEvent eom = MailEvent.builder(SmtpStage.END_OF_MESSAGE).source("policy").client("198.51.100.7")
                    .clientPort(ports.incrementAndGet()).queueId("Q" + i).instance("m" + i).build();
            decide(e, eom);
            decide(e, eom);
            decide(e, MailEvent.builder(SmtpStage.END_OF_MESSAGE).source("milter").client("198.51.100.7")
                    .clientPort(ports.get()).queueId("Q" + i).build());
        }
        assertEquals(4, NetworkScores.history(store, e.rules(), host).acceptedMessages(),
                "4 messages, each reported three times");
        assertFalse(ClientHistory.clean(store, host, e.rules()));
        decide(e, MailEvent.builder(SmtpStage.END_OF_MESSAGE).source("policy").client("198.51.100.7")
                .clientPort(ports.incrementAndGet()).queueId("Q9").instance("m9").build());
        assertTrue(ClientHistory.clean(store, host, e.rules()));
        DecisionEngine none = engine("networks: {local-domains: [example.test], clean-history-messages: 0}\n");
        assertFalse(ClientHistory.clean(store, host, none.rules()), "0: no host has a clean history");
    }

    @Test
    void aRetryFromAnotherNetworkOfAConfiguredPoolCounts() throws Exception {
        DecisionEngine e = engine("greylist: {enabled: true, pools: {networks: [209.85.128.0/17]}}\n");
        greylisted(decide(e, first("209.85.220.41")));
        time.advance(Duration.ofMinutes(2));
        Verdict.Defer early = greylisted(decide(e, first("209.85.128.7")));
        assertTrue(early.text().contains("try again in 180 seconds"), "the pool's first attempt counts: "
                + early.text());
        time.advance(Duration.ofMinutes(3));
        Decision d = decide(e, first("209.85.160.9"));
        passes(d);
        assertTrue(d.findings().stream().anyMatch(f -> f.detail().contains("both in greylist.pools.networks "
                + "209.85.128.0/17")), d.findings().toString());
        assertEquals(2, count("postwarden.greylist.pool.matches", "via", "cidr"));
        passes(decide(e, first("209.85.160.10")));
        greylisted(decide(e, first("198.51.100.7")));
    }

    SenderPools pools(ZoneResolver dns, Duration timeout) {
        SenderPools p = new SenderPools(new PoolSettings(null, timeout, Duration.ofSeconds(2), Duration.ofHours(1),
                ""), dns, RegisteredDomains.approximation(), metrics, time);
        closing.add(p);
        return p;
    }

    @Test
    void aRetryFromAnotherAddressAuthorizedByTheSendersSpfRecordCounts() throws Exception {
        ZoneResolver dns = new ZoneResolver().spf("pool.test", "v=spf1 redirect=_spf.pool.test")
                .spf("_spf.pool.test", "v=spf1 ip4:127.0.0.0/24 ip4:192.0.2.0/24 -all");
        DecisionEngine e = engine("", pools(dns, Duration.ofSeconds(5)), null);
        MailEvent.Builder a = rcpt("127.0.0.21", "news@pool.test", "bob@example.test");
        greylisted(decide(e, a.build()));
        time.advance(Duration.ofMinutes(5));
        Decision d = decide(e, rcpt("192.0.2.9", "news@pool.test", "bob@example.test").build());
        passes(d);
        assertTrue(d.findings().stream().anyMatch(f -> f.detail().contains("both pass the SPF record of pool.test")),
                d.findings().toString());
        assertEquals(1, count("postwarden.greylist.pool.matches", "via", "spf"));
        greylisted(decide(e, rcpt("198.51.100.7", "news@pool.test", "carol@example.test").build()));
        time.advance(Duration.ofMinutes(5));
        greylisted(decide(e, rcpt("198.51.101.7", "news@pool.test", "carol@example.test").build()),
                "198.51.100.7 and .101.7: neither in the SPF record");
    }

    ZoneResolver ptr(ZoneResolver dns, String address, String name) {
        return dns.add(org.xbill.DNS.ReverseMap.fromAddress(org.postwarden.model.Cidr.parseAddress(address))
                .toString(), 300, "PTR", name + ".").add(name, 300, "A", address);
    }

    @Test
    void aRetryFromAnotherAddressWithAConfirmedPtrInTheSameRegisteredDomainCounts() throws Exception {
        ZoneResolver dns = new ZoneResolver();
        ptr(dns, "40.92.10.1", "mail-a1.outbound.protection.outlook.com");
        ptr(dns, "52.100.7.2", "mail-b7.eur.protection.outlook.com");
        ptr(dns, "198.51.100.7", "dsl-198-51-100-7.isp.example");
        ptr(dns, "198.51.101.7", "dsl-198-51-101-7.isp.example");
        DecisionEngine e = engine("greylist: {enabled: true, pools: {spf: false}}\n",
                pools(dns, Duration.ofSeconds(5)), null);
        greylisted(decide(e, rcpt("40.92.10.1", "x@customer.example", "bob@example.test").build()));
        time.advance(Duration.ofMinutes(6));
        Decision d = decide(e, rcpt("52.100.7.2", "x@customer.example", "bob@example.test").build());
        passes(d);
        assertTrue(d.findings().stream().anyMatch(f -> f.detail().contains("forward-confirmed PTR names in "
                + "outlook.com")), d.findings().toString());
        greylisted(decide(e, rcpt("198.51.100.7", "y@customer.example", "bob@example.test").build()));
        time.advance(Duration.ofMinutes(6));
        greylisted(decide(e, rcpt("198.51.101.7", "y@customer.example", "bob@example.test").build()),
                "generic access-network names are no pool");
    }

    @Test
    void poolLookupsOverTheBudgetFailOpen() throws Exception {
        ZoneResolver dns = new ZoneResolver().silent("slow.test");
        DecisionEngine e = engine("", pools(dns, Duration.ofMillis(50)), null);
        greylisted(decide(e, rcpt("198.51.100.7", "a@slow.test", "bob@example.test").build()));
        Decision d = decide(e, rcpt("198.51.101.7", "a@slow.test", "bob@example.test").build());
        passes(d);
        assertTrue(noted(d, "greylist-timeout"), d.findings().toString());
        assertEquals(1, count("postwarden.greylist", "result", "lookup-timeout"));
    }

    DnsblClient dnsbl(Rules rules, StubResolver stub) {
        DnsblClient c = new DnsblClient(rules.dnsbl(), stub, metrics, time);
        closing.add(c);
        return c;
    }

    @Test
    void aGreyZoneListingMakesADoubtfulClientAndADnswlListingExempts() throws Exception {
        String yaml = """
                dnsbl:
                  enabled: true
                  resolver: 127.0.0.1:5353
                  timeout: 100ms
                  zones:
                    - grey.test*0 grey
                    - wl.test*-5
                """;
        Rules rules = new Rules(ConfigLoader.load("test", yaml(yaml)));
        StubResolver stub = new StubResolver().list("7.100.51.198.grey.test", 300, "127.0.0.2")
                .list("8.100.51.198.grey.test", 300, "127.0.0.2").list("8.100.51.198.wl.test", 300, "127.0.0.2");
        DecisionEngine e = engine(yaml, null, dnsbl(rules, stub));
        Decision grey = decide(e, rcpt("198.51.100.7", "a@sender.example", "bob@example.test")
                .clientName("mx.sender.example").build());
        greylisted(grey);
        assertTrue(grey.findings().stream().anyMatch(f -> f.detail().contains("listed in grey zone grey.test")),
                grey.findings().toString());
        Decision dnswl = decide(e, rcpt("198.51.100.8", "a@sender.example", "bob@example.test").build());
        passes(dnswl);
        assertTrue(dnswl.findings().stream().anyMatch(f -> f.detail().contains("listed in a DNSWL zone")),
                dnswl.findings().toString());
    }

    @Test
    void dryRunAnswersWarnAndStillRecordsTheTriplet() throws Exception {
        DecisionEngine e = engine("checks: {greylist: {dry-run: true}}\n");
        Decision d = decide(e, first("198.51.100.7"));
        Verdict.Warn w = assertInstanceOf(Verdict.Warn.class, d.verdict());
        assertTrue(w.text().startsWith("would defer: greylisted, try again in 300 seconds"), w.text());
        assertEquals(1, count("postwarden.would.have", "action", "defer", "reason", "greylisted"));
        time.advance(Duration.ofMinutes(5));
        Decision retry = decide(e, first("198.51.100.7"));
        assertEquals(Action.PASS, retry.verdict().action(), retry.findings().toString());
        assertTrue(noted(retry, "greylist-passed"));
    }

    @Test
    void actionDeferAnswers450AtOnce() throws Exception {
        DecisionEngine e = engine("greylist: {enabled: true, action: defer}\n");
        Verdict.Defer v = greylisted(decide(e, first("198.51.100.7")));
        assertFalse(v.ifPermit());
        assertEquals("450", v.code());
        assertEquals("4.7.1", v.enhanced());
    }

    @Test
    void senderAddressesOfOneListAreOneSender() {
        assertEquals("bounce-#-#@lists.example\nbob@example.test",
                GreylistState.pairKey("Bounce-1234-77@Lists.Example", "Bob@Example.test"));
        assertEquals("alice@example.org", GreylistState.normalizeSender("alice+news@example.org"));
        assertEquals("", GreylistState.normalizeSender(""));
    }

    @Test
    void entriesSurviveTheStoreSnapshot() throws Exception {
        DecisionEngine e = engine("");
        greylisted(decide(e, first("198.51.100.7")));
        for (int i = 0; i < 5; i++) {
            greylisted(decide(e, rcpt("198.51.100.7", "a@sender.example", "u" + i + "@example.test").build()));
        }
        time.advance(Duration.ofMinutes(5));
        for (int i = 0; i < 5; i++) {
            passes(decide(e, rcpt("198.51.100.7", "a@sender.example", "u" + i + "@example.test").build()));
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        StoreSnapshot.write(store, out);
        store = new MemoryReputationStore(e.rules().storeSettings(), time);
        StoreSnapshot.read(store, new ByteArrayInputStream(out.toByteArray()));
        DecisionEngine restored = engine("");
        Decision d = decide(restored, first("198.51.100.7"));
        passes(d);
        assertTrue(d.findings().stream().anyMatch(f -> f.detail().contains("auto-allowlisted")),
                "the network's passes were restored: " + d.findings());
        DecisionEngine strict = engine("greylist: {enabled: true, auto-allowlist-after: 0}\n");
        Decision waiting = decide(strict, first("198.51.100.7"));
        passes(waiting);
        assertTrue(noted(waiting, "greylist-passed"), "the first triplet's attempt was restored: "
                + waiting.findings());
    }

    @Test
    void aRepeatOfTheSameRcptByTheMilterIsNotCountedTwice() throws Exception {
        DecisionEngine e = engine("");
        greylisted(decide(e, first("198.51.100.7")));
        time.advance(Duration.ofMinutes(5));
        MailEvent policy = first("198.51.100.7");
        passes(decide(e, policy));
        MailEvent milter = MailEvent.builder(SmtpStage.RCPT).source("milter").client("198.51.100.7")
                .clientPort(policy.clientPort()).clientName("unknown").helo("mail.sender.example")
                .sender("alice@sender.example").recipient("bob@example.test").build();
        passes(decide(e, milter));
        assertEquals(1, count("postwarden.greylist", "result", "passed"));
        assertEquals(0, count("postwarden.greylist", "result", "known"));
    }

    static Finding finding(Decision d, String reason) {
        return d.findings().stream().filter(f -> f.reason().equals(reason)).findFirst().orElseThrow();
    }
}
