package org.postwarden.engine;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.postwarden.config.PostwardenConfig;
import org.postwarden.config.load.ConfigLoader;
import org.postwarden.metrics.PostwardenMetrics;
import org.postwarden.model.MailEvent;
import org.postwarden.model.ManualTimeSource;
import org.postwarden.model.SmtpStage;
import org.postwarden.reputation.memory.MemoryReputationStore;
import org.postwarden.rules.Rules;
import org.postwarden.verdict.Action;
import org.postwarden.verdict.Decision;
import org.postwarden.verdict.Verdict;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DecisionEngineTest {
    static final long T0 = 1_800_000_000_000L - (1_800_000_000_000L % 86_400_000L);
    final ManualTimeSource time = new ManualTimeSource(T0);
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    static final String BASE = """
            networks:
              local-domains: [example.test]
              own-names: [mx.example.test]
              own-addresses: [192.0.2.25]
              trusted: [10.0.0.0/8]
            limits:
              host:
                connections: [{window: 1m, max: 3}]
                messages: [{window: 1h, max: 2}]
                recipients: [{window: 1m, max: 5}]
              subnet:
                connections: []
                messages: []
                recipients: [{window: 1m, max: 8}]
              sasl-user:
                messages: [{window: 1h, max: 2}]
                recipients: []
            """;

    DecisionEngine engine(String extra) throws Exception {
        PostwardenConfig c = ConfigLoader.load("test", BASE + extra);
        Rules rules = new Rules(c);
        return new DecisionEngine(rules, new MemoryReputationStore(rules.storeSettings(), time),
                new PostwardenMetrics(registry));
    }

    static MailEvent rcpt(String ip, int port, String to) {
        return MailEvent.builder(SmtpStage.RCPT).source("policy").client(ip).clientPort(port)
                .helo("mail.sender.example").sender("a@sender.example").recipient(to).instance("i" + port).build();
    }

    @Test
    void aRetiredEngineSaysWhenItsLastDecisionIsDone() throws Exception {
        java.util.concurrent.CompletableFuture<Object> dns = new java.util.concurrent.CompletableFuture<>();
        Check slow = new Check() {
            @Override
            public String name() {
                return "score";
            }

            @Override
            public java.util.concurrent.CompletionStage<?> prepare(MailEvent event, Rules rules) {
                return dns;
            }

            @Override
            public void evaluate(EvaluationContext ctx) {
            }
        };
        PostwardenConfig c = ConfigLoader.load("test", BASE);
        Rules rules = new Rules(c);
        DecisionEngine e = new DecisionEngine(rules, new MemoryReputationStore(rules.storeSettings(), time),
                new PostwardenMetrics(registry), java.util.List.of(slow));
        assertTrue(engine("").retire().isDone(), "an idle engine is drained at once");
        java.util.concurrent.CompletableFuture<Decision> d =
                e.decide(rcpt("198.51.100.1", 1000, "user@example.test")).toCompletableFuture();
        java.util.concurrent.CompletableFuture<Void> drained = e.retire();
        assertFalse(drained.isDone(), "a decision waits for its lookup");
        assertEquals(1, e.activeDecisions());
        dns.complete("answer");
        assertTrue(d.isDone());
        assertTrue(drained.isDone(), "the last decision finished");
        assertEquals(0, e.activeDecisions());
    }

    @Test
    void cleanMailPassesAsDunnoNeverOk() throws Exception {
        DecisionEngine e = engine("");
        Decision d = e.decideNow(rcpt("198.51.100.1", 1000, "user@example.test"));
        assertEquals(Action.PASS, d.verdict().action());
        assertTrue(d.findings().isEmpty(), d.findings().toString());
    }

    @Test
    void recipientRateLimitDefersWithANamedLimitAndOnlyThatClient() throws Exception {
        DecisionEngine e = engine("");
        for (int i = 0; i < 5; i++) {
            assertEquals(Action.PASS, e.decideNow(rcpt("198.51.100.1", 1000, "u" + i + "@example.test")).verdict().action());
        }
        Decision sixth = e.decideNow(rcpt("198.51.100.1", 1000, "u6@example.test"));
        Verdict.Defer defer = assertInstanceOf(Verdict.Defer.class, sixth.verdict());
        assertEquals("450", defer.code());
        assertEquals("4.7.1", defer.enhanced());
        assertTrue(defer.text().contains("more than 5 recipients per 1m per host"), defer.text());
        assertEquals("recipients", sixth.primaryReason());
        assertEquals(Action.PASS, e.decideNow(rcpt("198.51.100.2", 2000, "x@example.test")).verdict().action(),
                "another client is unaffected");
        time.advance(Duration.ofMinutes(2));
        assertEquals(Action.PASS, e.decideNow(rcpt("198.51.100.1", 1000, "later@example.test")).verdict().action(),
                "the window slides");
    }

    @Test
    void subnetLimitAggregatesHosts() throws Exception {
        DecisionEngine e = engine("");
        for (int i = 0; i < 8; i++) {
            e.decideNow(rcpt("198.51.100." + (10 + i), 3000 + i, "u@example.test"));
        }
        Decision d = e.decideNow(rcpt("198.51.100.99", 4000, "u@example.test"));
        assertEquals(Action.DEFER, d.verdict().action());
        assertTrue(((Verdict.Defer) d.verdict()).text().contains("per subnet (198.51.100.0/24)"));
    }

    @Test
    void connectionsAreCountedOncePerClientPort() throws Exception {
        DecisionEngine e = engine("");
        for (int port = 1; port <= 3; port++) {
            for (int r = 0; r < 3; r++) {
                MailEvent ev = MailEvent.builder(SmtpStage.MAIL).client("198.51.100.5").clientPort(port)
                        .helo("h.example").build();
                assertEquals(Action.PASS, e.decideNow(ev).verdict().action());
            }
        }
        MailEvent fourth = MailEvent.builder(SmtpStage.MAIL).client("198.51.100.5").clientPort(4).helo("h.example")
                .build();
        Decision d = e.decideNow(fourth);
        assertEquals(Action.DEFER, d.verdict().action());
        assertEquals("connections", d.primaryReason());
    }

    @Test
    void messagesAreCountedOncePerInstanceAcrossDataAndEndOfMessage() throws Exception {
        DecisionEngine e = engine("");
        for (int m = 0; m < 2; m++) {
            for (SmtpStage st : List.of(SmtpStage.DATA, SmtpStage.END_OF_MESSAGE)) {
                MailEvent ev = MailEvent.builder(st).client("198.51.100.6").clientPort(5).helo("h.example")
                        .instance("msg" + m).recipientCount(st == SmtpStage.END_OF_MESSAGE ? 1 : 0).build();
                assertEquals(Action.PASS, e.decideNow(ev).verdict().action(), "message " + m + " " + st);
            }
        }
        MailEvent third = MailEvent.builder(SmtpStage.END_OF_MESSAGE).client("198.51.100.6").clientPort(5)
                .helo("h.example").instance("msg3").recipientCount(1).build();
        assertEquals(Action.DEFER, e.decideNow(third).verdict().action());
    }

    @Test
    void saslUserQuotaAndAllowlistedUsers() throws Exception {
        DecisionEngine e = engine("allowlist: {sasl-users: [bulk@example.test]}\n");
        for (String user : List.of("alice@example.test", "bulk@example.test")) {
            for (int m = 0; m < 3; m++) {
                MailEvent ev = MailEvent.builder(SmtpStage.END_OF_MESSAGE).client("10.1.1." + (m + 1)).clientPort(m)
                        .sasl(user).instance(user + m).helo("laptop.example").build();
                Action a = e.decideNow(ev).verdict().action();
                if (m < 2 || user.startsWith("bulk")) {
                    assertEquals(Action.PASS, a, user + " message " + m);
                } else {
                    assertEquals(Action.DEFER, a, "third message of alice in an hour");
                }
            }
        }
    }

    @Test
    void relayAttemptsAreSignalsThatBuildAScore() throws Exception {
        DecisionEngine e = engine("scoring: {thresholds: {tag: 5, defer: 8, reject: 12}}\n");
        Decision first = e.decideNow(rcpt("203.0.113.7", 10, "victim@elsewhere.example"));
        assertEquals(Action.PASS, first.verdict().action(), "one attempt only scores; Postfix rejects it itself");
        assertEquals("relay-attempt", first.findings().get(0).reason());
        assertEquals(1.0, registry.get("postwarden.signals").tag("signal", "relay-attempt").counter().count());
        Decision second = e.decideNow(rcpt("203.0.113.7", 11, "victim@elsewhere.example"));
        assertEquals(Action.DEFER, second.verdict().action(), second.findings().toString());
        assertEquals(Action.REJECT, e.decideNow(rcpt("203.0.113.7", 12, "victim@elsewhere.example")).verdict().action());
        Decision fourth = e.decideNow(rcpt("203.0.113.7", 13, "user@example.test"));
        assertEquals(Action.REJECT, fourth.verdict().action());
        assertTrue(((Verdict.Reject) fourth.verdict()).text().startsWith("poor reputation: score"));
        time.advance(Duration.ofHours(10));
        assertEquals(Action.PASS, e.decideNow(rcpt("203.0.113.7", 14, "user@example.test")).verdict().action(),
                "scores decay");
    }

    @Test
    void trustedAndAuthenticatedClientsAreNotRelayAttempts() throws Exception {
        DecisionEngine e = engine("");
        assertTrue(e.decideNow(rcpt("10.2.3.4", 1, "x@elsewhere.example")).findings().isEmpty());
        MailEvent auth = MailEvent.builder(SmtpStage.RCPT).client("203.0.113.8").clientPort(1).sasl("bob")
                .helo("laptop.example").recipient("x@elsewhere.example").build();
        assertTrue(e.decideNow(auth).findings().isEmpty());
    }

    @Test
    void heloChecksEachFireOncePerConnection() throws Exception {
        DecisionEngine e = engine("scoring: {thresholds: {tag: 0, defer: 0, reject: 0}}\n");
        record Case(String client, String helo, String reason) {
        }
        List<Case> cases = List.of(new Case("198.51.100.1", "WIN-ABC12DEF", "helo-generic"),
                new Case("198.51.100.2", "User", "helo-generic"),
                new Case("198.51.100.3", "localhostish", "helo-not-fqdn"),
                new Case("198.51.100.4", "[192.0.2.200]", "helo-ip-mismatch"),
                new Case("198.51.100.5", "mx.example.test", "helo-claims-our-name"),
                new Case("198.51.100.6", "[192.0.2.25]", "helo-claims-our-name"),
                new Case("198.51.100.7", "mail.good.example", null),
                new Case("198.51.100.77", "[198.51.100.77]", null));
        int port = 100;
        for (Case c : cases) {
            port++;
            MailEvent ev = MailEvent.builder(SmtpStage.HELO).client(c.client()).clientPort(port).helo(c.helo())
                    .build();
            Decision d = e.decideNow(ev);
            if (c.reason() == null) {
                assertTrue(d.findings().isEmpty(), c.helo() + " " + d.findings());
            } else {
                assertEquals(c.reason(), d.findings().get(0).reason(), c.helo());
                assertTrue(e.decideNow(ev).findings().isEmpty(), "second request of the connection: not again");
            }
        }
    }

    @Test
    void globalDryRunAnswersWarnAndCountsWouldHave() throws Exception {
        DecisionEngine e = engine("dry-run: true\n");
        for (int i = 0; i < 5; i++) {
            e.decideNow(rcpt("198.51.100.1", 1000, "u" + i + "@example.test"));
        }
        Decision d = e.decideNow(rcpt("198.51.100.1", 1000, "u6@example.test"));
        Verdict.Warn w = assertInstanceOf(Verdict.Warn.class, d.verdict());
        assertTrue(w.text().startsWith("would defer: rate limit"), w.text());
        assertEquals(Action.DEFER, d.wouldHave().action());
        assertTrue(d.suppressed());
        assertEquals(1.0, registry.get("postwarden.would.have").tag("action", "defer").counter().count());
    }

    @Test
    void perCheckDryRunOnlySuppressesThatCheck() throws Exception {
        DecisionEngine e = engine("checks: {rate-limit: {enabled: true, dry-run: true}}\n"
                + "scoring: {thresholds: {tag: 0, defer: 1, reject: 0}}\n");
        for (int i = 0; i < 5; i++) {
            e.decideNow(rcpt("198.51.100.1", 1000, "u" + i + "@example.test"));
        }
        Decision d = e.decideNow(rcpt("198.51.100.1", 1000, "u6@example.test"));
        // rate-limit (dry-run) proposes defer; the limit-exceeded signal then makes the score check defer for real
        assertEquals(Action.DEFER, d.verdict().action());
        assertEquals("score", d.primaryReason());
        assertFalse(d.suppressed());
    }

    @Test
    void allowlistsAndTrustOk() throws Exception {
        DecisionEngine e = engine("allowlist: {clients: [198.51.100.0/24], trust-ok: [192.0.2.128/25]}\n");
        for (int i = 0; i < 20; i++) {
            assertEquals(Action.PASS, e.decideNow(rcpt("198.51.100.1", 1000, "x@elsewhere.example")).verdict().action());
        }
        assertEquals(0, e.store().clientCount(), "allowlisted clients are not counted");
        assertInstanceOf(Verdict.Accept.class, e.decideNow(rcpt("192.0.2.200", 1, "x@example.test")).verdict());
        assertNotEquals(Action.ACCEPT, e.decideNow(rcpt("192.0.2.100", 1, "x@example.test")).verdict().action());
    }

    @Test
    void bansRejectAtEveryStage() throws Exception {
        DecisionEngine e = engine("");
        e.store().ban(org.postwarden.model.ClientKey.of(org.postwarden.model.Cidr.parseAddress("203.0.113.0"),
                org.postwarden.model.KeyLevel.SUBNET, 48), Duration.ofHours(1), "admin", "test");
        for (SmtpStage st : List.of(SmtpStage.CONNECT, SmtpStage.HELO, SmtpStage.RCPT, SmtpStage.END_OF_MESSAGE)) {
            Decision d = e.decideNow(MailEvent.builder(st).client("203.0.113.50").clientPort(9).build());
            assertEquals(Action.REJECT, d.verdict().action(), st.name());
            assertEquals("ban", d.primaryReason());
        }
        time.advance(Duration.ofHours(2));
        assertEquals(Action.PASS, e.decideNow(MailEvent.builder(SmtpStage.RCPT).client("203.0.113.50")
                .clientPort(10).build()).verdict().action());
    }

    @Test
    void preparedChecksAreAwaitedAndTheirValuesDelivered() throws Exception {
        CompletableFuture<String> dns = new CompletableFuture<>();
        Check async = new Check() {
            @Override
            public String name() {
                return "test-async";
            }

            @Override
            public CompletionStage<?> prepare(MailEvent event, Rules rules) {
                return dns;
            }

            @Override
            public void evaluate(EvaluationContext ctx) {
                ctx.find("listed", Action.REJECT, 1, 0, "listed by " + ctx.prepared(this));
            }
        };
        Rules rules = new Rules(ConfigLoader.load("t", BASE));
        DecisionEngine e = new DecisionEngine(rules, new MemoryReputationStore(rules.storeSettings(), time),
                new PostwardenMetrics(registry), List.of(async));
        CompletableFuture<Decision> f = e.decide(rcpt("198.51.100.3", 1, "u@example.test")).toCompletableFuture();
        assertFalse(f.isDone(), "waits for the prepared stage");
        dns.complete("zone.example");
        assertEquals("listed by zone.example", ((Verdict.Reject) f.join().verdict()).text());
    }

    // ---- policy server and milter on one store: each thing counted once -------------------------------------

    static org.postwarden.model.ClientKey host(String ip) {
        return org.postwarden.model.ClientKey.of(org.postwarden.model.Cidr.parseAddress(ip),
                org.postwarden.model.KeyLevel.HOST, 48);
    }

    static MailEvent policy(SmtpStage st, String ip, int port, String rcpt, String queueId, int rcptCount) {
        return MailEvent.builder(st).source("policy").client(ip).clientPort(port).helo("mail.sender.example")
                .sender("a@sender.example").recipient(rcpt).instance("inst-" + port).queueId(queueId)
                .recipientCount(rcptCount).build();
    }

    static MailEvent milter(SmtpStage st, String ip, int port, String rcpt, String queueId) {
        return MailEvent.builder(st).source("milter").client(ip).clientPort(port).helo("mail.sender.example")
                .sender("a@sender.example").recipient(rcpt).queueId(queueId).build();
    }

    /** One SMTP session with two recipients, as the policy server and/or the milter report it. */
    static void session(DecisionEngine e, String ip, int port, boolean viaPolicy, boolean viaMilter) {
        if (viaMilter) {
            e.decideNow(milter(SmtpStage.CONNECT, ip, port, "", ""));
            e.decideNow(milter(SmtpStage.HELO, ip, port, "", ""));
            e.decideNow(milter(SmtpStage.MAIL, ip, port, "", ""));
        }
        if (viaPolicy) {
            e.decideNow(policy(SmtpStage.RCPT, ip, port, "u1@example.test", "", 0));
        }
        if (viaMilter) {
            e.decideNow(milter(SmtpStage.RCPT, ip, port, "U1@example.test", ""));
        }
        if (viaPolicy) {
            e.decideNow(policy(SmtpStage.RCPT, ip, port, "u2@example.test", "4QID" + port, 0));
        }
        if (viaMilter) {
            e.decideNow(milter(SmtpStage.RCPT, ip, port, "u2@example.test", "4QID" + port));
        }
        if (viaPolicy) {
            e.decideNow(policy(SmtpStage.END_OF_MESSAGE, ip, port, "", "4QID" + port, 2));
        }
        if (viaMilter) {
            e.decideNow(milter(SmtpStage.END_OF_MESSAGE, ip, port, "", "4QID" + port));
        }
    }

    @Test
    void policyServerAndMilterTogetherCountEachConnectionMessageAndRecipientOnce() throws Exception {
        for (boolean[] wiring : new boolean[][] {{true, false}, {false, true}, {true, true}}) {
            DecisionEngine e = engine("");
            session(e, "198.51.100.60", 1000, wiring[0], wiring[1]);
            String which = wiring[0] && wiring[1] ? "both" : wiring[0] ? "policy alone" : "milter alone";
            assertEquals(List.of(1L, 1L, 2L), java.util.Arrays.stream(e.store().estimates(host("198.51.100.60")))
                    .boxed().toList(), which + ": connections, messages, recipients");
        }
    }

    @Test
    void theEndOfMessageRecipientCountDoesNotAddToRecipientsAnotherListenerReported() throws Exception {
        DecisionEngine e = engine("");
        e.decideNow(milter(SmtpStage.CONNECT, "198.51.100.61", 7, "", ""));
        e.decideNow(milter(SmtpStage.MAIL, "198.51.100.61", 7, "", ""));
        e.decideNow(milter(SmtpStage.RCPT, "198.51.100.61", 7, "x@example.test", ""));
        e.decideNow(milter(SmtpStage.RCPT, "198.51.100.61", 7, "y@example.test", "4R"));
        e.decideNow(policy(SmtpStage.END_OF_MESSAGE, "198.51.100.61", 7, "", "4R", 2));
        e.decideNow(milter(SmtpStage.END_OF_MESSAGE, "198.51.100.61", 7, "", "4R"));
        long[] est = e.store().estimates(host("198.51.100.61"));
        assertEquals(2, est[est.length - 1], "policy at end-of-data only, milter per RCPT: two recipients");
    }

    @Test
    void repeatsAreCountedAgainWhenTheyReallyHappenAgain() throws Exception {
        DecisionEngine e = engine("");
        for (int msg = 0; msg < 2; msg++) {
            e.decideNow(policy(SmtpStage.RCPT, "198.51.100.62", 9, "same@example.test", "", 0));
            e.decideNow(milter(SmtpStage.RCPT, "198.51.100.62", 9, "same@example.test", ""));
        }
        e.decideNow(milter(SmtpStage.CONNECT, "198.51.100.62", 10, "", ""));
        e.decideNow(milter(SmtpStage.CONNECT, "198.51.100.62", 10, "", ""));
        assertEquals(List.of(3L, 0L, 2L), java.util.Arrays.stream(e.store().estimates(host("198.51.100.62")))
                .boxed().toList(), "two connections on port 9 and 10 (reused), two RCPTs of one recipient");
    }

    @Test
    void aRelayAttemptBothListenersReportScoresOnce() throws Exception {
        DecisionEngine e = engine("");
        Decision p = e.decideNow(policy(SmtpStage.RCPT, "203.0.113.70", 5, "victim@elsewhere.example", "", 0));
        Decision m = e.decideNow(milter(SmtpStage.RCPT, "203.0.113.70", 5, "victim@elsewhere.example", ""));
        assertEquals("relay-attempt", p.findings().get(0).reason());
        assertTrue(m.findings().stream().noneMatch(f -> f.reason().equals("relay-attempt")), m.findings().toString());
        assertEquals(4.0, e.store().score(host("203.0.113.70")), 1e-9);
    }

    @Test
    void concurrentSessionsBeyondTheLimitAreDeferredAtConnectOnly() throws Exception {
        DecisionEngine e = engine("milter: {max-concurrent-per-client: 2}\n");
        org.postwarden.model.ClientKey k = host("198.51.100.63");
        for (int i = 1; i <= 3; i++) {
            e.store().connectionOpened(k);
        }
        Decision d = e.decideNow(milter(SmtpStage.CONNECT, "198.51.100.63", 3, "", ""));
        Verdict.Defer defer = assertInstanceOf(Verdict.Defer.class, d.verdict());
        assertEquals("concurrent", d.primaryReason());
        assertTrue(defer.text().startsWith("too many concurrent connections: 3 open, at most 2 per host"),
                defer.text());
        assertEquals(Action.PASS, e.decideNow(milter(SmtpStage.RCPT, "198.51.100.63", 1, "a@example.test", ""))
                .verdict().action(), "sessions already in are not cut off");
        e.store().connectionClosed(k);
        assertEquals(Action.PASS, e.decideNow(milter(SmtpStage.CONNECT, "198.51.100.63", 4, "", "")).verdict()
                .action());
        e.store().connectionClosed(k);
        e.store().connectionClosed(k);
        e.store().connectionClosed(k);
        assertEquals(0, e.store().openConnections(k), "a close without an open is ignored");
    }

    @Test
    void identicalContentOfOneAuthenticatedUserIsHeldBeyondTheLimit() throws Exception {
        DecisionEngine e = engine("milter: {identical-messages: [{window: 1h, max: 1}]}\n"
                + "allowlist: {sasl-users: [newsletter]}\n");
        for (String user : List.of("alice", "newsletter", "")) {
            for (int i = 1; i <= 2; i++) {
                MailEvent eom = MailEvent.builder(SmtpStage.END_OF_MESSAGE).source("milter")
                        .client("192.0.2." + (10 + user.length()))
                        .clientPort(i).sasl(user).queueId(user + "Q" + i).fingerprint("00ff00ff00ff00ff").build();
                Decision d = e.decideNow(eom);
                if (user.equals("alice") && i == 2) {
                    assertInstanceOf(Verdict.Hold.class, d.verdict());
                    assertEquals("identical-messages", d.primaryReason());
                } else {
                    assertEquals(Action.PASS, d.verdict().action(), user + " " + i);
                }
                e.decideNow(eom);
            }
        }
        assertEquals(2, e.store().countContent("alice", "00ff00ff00ff00ff", 0)[0], "each message counted once");
        time.advance(Duration.ofHours(2));
        assertEquals(0, e.store().countContent("alice", "00ff00ff00ff00ff", 0)[0], "the window slides");
    }

    @Test
    void recipientLimitIsNotEnforcedAgainAtEndOfMessage() throws Exception {
        DecisionEngine e = engine("");
        for (int i = 0; i < 7; i++) {
            e.decideNow(rcpt("198.51.100.40", 4040, "u" + i + "@example.test"));
        }
        MailEvent eom = MailEvent.builder(SmtpStage.END_OF_MESSAGE).source("policy").client("198.51.100.40")
                .clientPort(4040).helo("mail.sender.example").instance("i4040").recipientCount(5).build();
        assertEquals(Action.PASS, e.decideNow(eom).verdict().action(),
                "the accepted recipients of this message were within the limit at RCPT time");
        MailEvent onlyEom = MailEvent.builder(SmtpStage.END_OF_MESSAGE).source("policy").client("198.51.100.41")
                .clientPort(4141).helo("mail.sender.example").instance("i4141").recipientCount(6).build();
        Decision d = e.decideNow(onlyEom);
        assertEquals(Action.DEFER, d.verdict().action(), "counted at end of data, so enforced there");
        assertEquals("recipients", d.primaryReason());
    }
}
