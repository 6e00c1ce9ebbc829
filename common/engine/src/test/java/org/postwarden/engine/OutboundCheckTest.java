package org.postwarden.engine;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.postwarden.config.load.ConfigLoader;
import org.postwarden.metrics.PostwardenMetrics;
import org.postwarden.model.MailEvent;
import org.postwarden.model.ManualTimeSource;
import org.postwarden.model.SmtpStage;
import org.postwarden.outbound.Alert;
import org.postwarden.outbound.OutboundGuard;
import org.postwarden.reputation.memory.MemoryReputationStore;
import org.postwarden.rules.Rules;
import org.postwarden.verdict.Action;
import org.postwarden.verdict.Decision;
import org.postwarden.verdict.Verdict;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The outbound guard inside the engine: verdicts, defer text, dry-run, and events two listeners both report. */
class OutboundCheckTest {
    private final ManualTimeSource time = new ManualTimeSource(1_800_000_000_000L);
    private final List<Alert> alerts = new ArrayList<>();
    private OutboundGuard guard;

    private DecisionEngine engine(String outbound) throws Exception {
        Rules rules = new Rules(ConfigLoader.load("test", """
                networks: {local-domains: [example.test], trusted: [10.0.0.0/8]}
                limits: {host: {recipients: []}, subnet: {recipients: []}}
                outbound: {floors: {recipients: 3}%s}
                """.formatted(outbound)));
        PostwardenMetrics metrics = new PostwardenMetrics(new SimpleMeterRegistry());
        MemoryReputationStore store = new MemoryReputationStore(rules.storeSettings(), time);
        guard = new OutboundGuard(rules, store, metrics, alerts::add, null);
        return new DecisionEngine(rules, store, metrics).withOutbound(guard);
    }

    private static MailEvent rcpt(String source, int port, String to, String instance) {
        return MailEvent.builder(SmtpStage.RCPT).source(source).client("192.0.2.5").clientPort(port)
                .sasl("alice").sender("alice@example.test").recipient(to).instance(instance).build();
    }

    @Test
    void theFourthRecipientIsHeldAndSoIsEveryLaterMessage() throws Exception {
        DecisionEngine e = engine("");
        for (String to : List.of("a@x.example", "b@x.example", "c@x.example")) {
            assertEquals(Action.PASS, e.decideNow(rcpt("policy", 1000, to, "m1")).verdict().action());
        }
        Decision d = e.decideNow(rcpt("policy", 1000, "d@x.example", "m1"));
        Verdict.Hold hold = assertInstanceOf(Verdict.Hold.class, d.verdict());
        assertTrue(hold.text().contains("4 recipients in the last hour, threshold 3"), hold.text());
        assertEquals("recipients", d.findings().stream().filter(f -> f.proposed() == Action.HOLD).findFirst()
                .orElseThrow().reason());
        Decision later = e.decideNow(rcpt("policy", 1001, "friend@y.example", "m2"));
        assertInstanceOf(Verdict.Hold.class, later.verdict());
        assertTrue(later.findings().stream().anyMatch(f -> f.reason().equals("suspended")));
        assertEquals(1, alerts.size());
        assertEquals(1, guard.suspensions().list().size());
    }

    @Test
    void deferTellsTheClientNothingAboutThresholds() throws Exception {
        DecisionEngine e = engine(", action: defer");
        Decision d = null;
        for (String to : List.of("a@x.example", "b@x.example", "c@x.example", "d@x.example")) {
            d = e.decideNow(rcpt("policy", 1000, to, "m1"));
        }
        Verdict.Defer defer = assertInstanceOf(Verdict.Defer.class, d.verdict());
        assertEquals(OutboundCheck.DEFER_TEXT, defer.text());
        assertFalse(defer.text().contains("threshold"));
    }

    @Test
    void dryRunWarnsAndSuspendsNobody() throws Exception {
        Rules dry = new Rules(ConfigLoader.load("test", """
                networks: {local-domains: [example.test]}
                limits: {host: {recipients: []}, subnet: {recipients: []}}
                checks: {outbound: {enabled: true, dry-run: true}}
                outbound: {floors: {recipients: 3}}
                """));
        PostwardenMetrics metrics = new PostwardenMetrics(new SimpleMeterRegistry());
        MemoryReputationStore store = new MemoryReputationStore(dry.storeSettings(), time);
        guard = new OutboundGuard(dry, store, metrics, alerts::add, null);
        DecisionEngine e = new DecisionEngine(dry, store, metrics).withOutbound(guard);
        Decision d = null;
        for (String to : List.of("a@x.example", "b@x.example", "c@x.example", "d@x.example")) {
            d = e.decideNow(rcpt("policy", 1000, to, "m1"));
        }
        assertEquals(Action.WARN, d.verdict().action());
        assertTrue(d.suppressed());
        assertEquals(Action.HOLD, d.wouldHave().action());
        assertTrue(guard.suspensions().list().isEmpty());
        assertTrue(alerts.isEmpty());
    }

    @Test
    void aRecipientBothListenersReportCountsOnce() throws Exception {
        DecisionEngine e = engine("");
        for (String to : List.of("a@x.example", "b@x.example", "c@x.example")) {
            assertEquals(Action.PASS, e.decideNow(rcpt("policy", 1000, to, "m1")).verdict().action());
            MailEvent milter = MailEvent.builder(SmtpStage.RCPT).source("milter").client("192.0.2.5")
                    .clientPort(1000).sasl("alice").sender("alice@example.test").recipient(to).build();
            assertEquals(Action.PASS, e.decideNow(milter).verdict().action(), "the milter's report of " + to);
        }
        assertTrue(guard.suspensions().list().isEmpty());
        assertEquals(3.0, guard.explain("user:alice").orElseThrow().get("recipients")[0]);
    }

    @Test
    void withoutAGuardTheCheckDoesNothing() throws Exception {
        Rules rules = new Rules(ConfigLoader.load("test", "outbound: {floors: {recipients: 1}}"));
        DecisionEngine e = new DecisionEngine(rules, new MemoryReputationStore(rules.storeSettings(), time),
                new PostwardenMetrics(new SimpleMeterRegistry()));
        for (String to : List.of("a@x.example", "b@x.example", "c@x.example")) {
            assertEquals(Action.PASS, e.decideNow(rcpt("policy", 1000, to, "m1")).verdict().action());
        }
    }
}
