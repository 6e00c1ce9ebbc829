package org.postwarden.engine;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.postwarden.config.ConfigException;
import org.postwarden.config.load.ConfigLoader;
import org.postwarden.metrics.PostwardenMetrics;
import org.postwarden.model.MailEvent;
import org.postwarden.model.ManualTimeSource;
import org.postwarden.model.SmtpStage;
import org.postwarden.reputation.memory.MemoryReputationStore;
import org.postwarden.rules.Rules;
import org.postwarden.rules.UserQuotas;
import org.postwarden.verdict.Action;
import org.postwarden.verdict.Decision;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Layered outbound quotas: sasl-user default, a domain's mailbox default and shared pool, per-user overrides. */
class LayeredQuotaTest {
    final ManualTimeSource time = new ManualTimeSource(1_800_000_000_000L);

    static final String CONFIG = """
            networks: {trusted: [10.0.0.0/8]}
            limits:
              sasl-user:
                messages: [{window: 1h, max: 5}]
                recipients: []
              domains:
                - {domain: Small.Example, mailbox: {messages: [{window: 1h, max: 2}], recipients: []},
                   pool: {messages: [{window: 1h, max: 3}], recipients: []}}
                - {domain: pooled.example, pool: {messages: [{window: 1d, max: 4}]}}
              users:
                - {user: boss@small.example, messages: [{window: 1h, max: 10}], recipients: []}
                - {user: free@elsewhere.example, messages: []}
            """;

    DecisionEngine engine() throws Exception {
        Rules rules = new Rules(ConfigLoader.load("t", CONFIG));
        return new DecisionEngine(rules, new MemoryReputationStore(rules.storeSettings(), time),
                new PostwardenMetrics(new SimpleMeterRegistry()));
    }

    int n;

    Decision send(DecisionEngine e, String user) {
        n++;
        MailEvent ev = MailEvent.builder(SmtpStage.END_OF_MESSAGE).client("10.1.1.1").clientPort(n).sasl(user)
                .instance("m" + n).helo("laptop.example").recipientCount(1).build();
        return e.decideNow(ev);
    }

    @Test
    void layersResolveByUserThenDomainThenDefault() throws Exception {
        UserQuotas q = new Rules(ConfigLoader.load("t", CONFIG)).quotas();
        assertEquals(List.of("domain", "pool"), q.of("alice@small.example").stream().map(UserQuotas.Layer::name)
                .toList(), "domain names compare without case");
        assertEquals(List.of("user", "pool"), q.of("boss@small.example").stream().map(UserQuotas.Layer::name)
                .toList());
        assertEquals(List.of("sasl-user", "pool"), q.of("x@pooled.example").stream().map(UserQuotas.Layer::name)
                .toList(), "a pool without mailbox quota: limits.sasl-user per user");
        assertEquals(List.of("sasl-user"), q.of("bob").stream().map(UserQuotas.Layer::name).toList());
        assertEquals("@small.example", q.of("alice@small.example").get(1).key());
        assertEquals(List.of(), q.of("free@elsewhere.example").get(0).limits(), "an override can lift a limit");
    }

    @Test
    void aConfigurationWithoutLayersKeepsTheStoreLayout() throws Exception {
        Rules plain = new Rules(ConfigLoader.load("t", "limits: {sasl-user: {messages: [{window: 1h, max: 5}], recipients: []}}"));
        Rules layered = new Rules(ConfigLoader.load("t", CONFIG));
        assertEquals(plain.userLayout().slots(), layered.userLayout().slots().subList(0,
                plain.userLayout().size()), "limits.sasl-user's slots first, unchanged");
        assertEquals(2, layered.userLayout().size(), "the 1h messages slot shared by every 1h layer, the pool's 1d");
        assertEquals(plain.userLayout(), new Rules(ConfigLoader.load("t",
                "limits: {sasl-user: {messages: [{window: 1h, max: 5}], recipients: []}, domains: [], users: []}"))
                .userLayout(), "empty layers: the same layout (a reload keeps the store)");
    }

    @Test
    void mailboxDefaultPoolAndOverrideEachDefer() throws Exception {
        DecisionEngine e = engine();
        assertEquals(Action.PASS, send(e, "alice@small.example").verdict().action());
        assertEquals(Action.PASS, send(e, "alice@small.example").verdict().action());
        Decision third = send(e, "alice@small.example");
        assertEquals(Action.DEFER, third.verdict().action(), "the domain's mailbox quota (2), not sasl-user (5)");
        assertTrue(third.findings().toString().contains("per domain (user alice@small.example)"),
                third.findings().toString());

        // carol has her own mailbox budget left, but the domain's pool (3 per hour) has one left: alice's 3
        // messages counted (the deferred one too: counting goes on) -- the pool is over
        Decision carol = send(e, "carol@small.example");
        assertEquals(Action.DEFER, carol.verdict().action(), carol.findings().toString());
        assertTrue(carol.findings().toString().contains("per pool (domain small.example (user carol@small.example))"),
                carol.findings().toString());
        Decision boss = send(e, "boss@small.example");
        assertEquals(Action.DEFER, boss.verdict().action(), "the override replaces the mailbox quota, not the pool");

        DecisionEngine fresh = engine();
        for (int i = 0; i < 4; i++) {
            assertEquals(Action.PASS, send(fresh, "boss@small.example").verdict().action(),
                    "boss's own 10 per hour, not the mailbox's 2 (pool not yet full) " + i);
            if (i == 2) {
                break;
            }
        }
        for (int i = 0; i < 7; i++) {
            assertEquals(Action.PASS, send(fresh, "free@elsewhere.example").verdict().action(), "no limit " + i);
        }
        for (int i = 0; i < 5; i++) {
            assertEquals(Action.PASS, send(fresh, "dave@other.example").verdict().action(), "sasl-user 5 " + i);
        }
        assertEquals(Action.DEFER, send(fresh, "dave@other.example").verdict().action(), "the sixth");
        time.advance(Duration.ofHours(2));
        assertEquals(Action.PASS, send(fresh, "dave@other.example").verdict().action(), "the window slid on");
    }

    @Test
    void badLayersAreRefusedWithTheirKey() {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load("t", """
                limits:
                  domains:
                    - {domain: "bad domain", mailbox: {messages: [{window: 0s, max: 1}]}}
                    - {domain: ok.example}
                  users:
                    - {user: "", messages: []}
                """));
        String m = e.getMessage();
        assertTrue(m.contains("limits.domains[0].domain"), m);
        assertTrue(m.contains("limits.domains[0].mailbox.messages[0].window"), m);
        assertTrue(m.contains("limits.domains[1]") && m.contains("a mailbox quota, a pool, or both"), m);
        assertTrue(m.contains("limits.users[0].user"), m);
    }
}
