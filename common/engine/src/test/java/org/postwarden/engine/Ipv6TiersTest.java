package org.postwarden.engine;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.postwarden.api.BanListener;
import org.postwarden.api.LogSignal;
import org.postwarden.config.load.ConfigLoader;
import org.postwarden.metrics.PostwardenMetrics;
import org.postwarden.model.Cidr;
import org.postwarden.model.ClientKey;
import org.postwarden.model.KeyLevel;
import org.postwarden.model.MailEvent;
import org.postwarden.model.ManualTimeSource;
import org.postwarden.model.Signal;
import org.postwarden.model.SmtpStage;
import org.postwarden.reputation.memory.MemoryReputationStore;
import org.postwarden.rules.NetworkTier;
import org.postwarden.rules.Rules;
import org.postwarden.verdict.Action;
import org.postwarden.verdict.Decision;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * IPv6 networks in tiers ({@code networks.ipv6-tiers}): distinct /64s raise their /56, distinct /56s their /48, each
 * child's share capped; one /64 alone never moves its /56; trusted clients are never refused by a tier. Time is a
 * {@link ManualTimeSource}; nothing sleeps.
 */
class Ipv6TiersTest {
    static final long T0 = 1_800_000_000_000L;
    /** The bot's /56 and, in the same /48, another /56. */
    static final String BOT56 = "2001:db8:77:100::";
    static final String OTHER56 = "2001:db8:77:200::";
    final ManualTimeSource time = new ManualTimeSource(T0);
    final List<String> refused = new ArrayList<>();
    final List<String> banned = new ArrayList<>();
    DecisionEngine engine;
    int port = 40000;
    String trusted = "[127.0.0.0/8]";

    static final String BASE = """
            limits:
              host: {connections: [], messages: [], recipients: []}
              subnet: {connections: [], messages: [], recipients: []}
              wide: {connections: [], messages: [], recipients: []}
            scoring:
              half-life: 1h
              subnet-factor: 3.0
              weights: {pregreet: 8.0}
              thresholds: {tag: 3.0, defer: 8.0, reject: 15.0}
            """;
    static final String BANS = """
            bans:
              threshold: 20.0
              durations: [1h]
              scanners: {enabled: false}
            """;

    void start(String tiers, String extra) throws Exception {
        Rules rules = new Rules(ConfigLoader.load("test", BASE + (extra.contains("bans:") ? "" : BANS) + """
                networks:
                  local-domains: [example.test]
                  trusted: %s
                  ipv6-tiers: %s
                """.formatted(trusted, tiers) + extra));
        PostwardenMetrics metrics = new PostwardenMetrics(new SimpleMeterRegistry());
        SignalRecorder recorder = new SignalRecorder(metrics, time, null, new BanListener() {
            @Override
            public void refused(ClientKey key, String reason, String detail) {
                refused.add(key.cidr() + " " + reason);
            }

            @Override
            public void banned(org.postwarden.reputation.Ban ban, boolean dryRun) {
                banned.add(ban.key().cidr());
            }
        });
        engine = new DecisionEngine(rules, new MemoryReputationStore(rules.storeSettings(), time), metrics)
                .withSignals(recorder);
    }

    Decision rcpt(String ip) {
        port++;
        return engine.decideNow(MailEvent.builder(SmtpStage.RCPT).source("policy").client(ip).clientPort(port)
                .helo("mail.client.test").sender("a@client.test").recipient("u@example.test").build());
    }

    void pregreet(String ip, int times) {
        for (int i = 0; i < times; i++) {
            engine.observe(LogSignal.of(Signal.PREGREET, Cidr.parseAddress(ip), "test"));
        }
    }

    static ClientKey tier(String ip, int prefix) {
        return ClientKey.of(Cidr.parseAddress(ip), KeyLevel.WIDE, prefix);
    }

    int contributors(String ip, int prefix) {
        return NetworkScores.contributors(engine.store(), tier(ip, prefix));
    }

    /** The i-th /64 of the bot's /56: 2001:db8:77:1xx::/64. */
    static String bot64(int i) {
        return "2001:db8:77:1" + String.format("%02x", i) + "::";
    }

    @Test
    void aRotationThroughTheSlash64sOfOneSlash56IsDeferredAtTheSlash56AfterTheConfiguredCount() throws Exception {
        start("[{prefix: 56, min-children: 5, ban-min-children: 8}, {prefix: 48, min-children: 3}]", "");
        String neighbour = "2001:db8:77:1fe::9";
        String otherClean = OTHER56 + "5";
        for (int i = 1; i <= 40; i++) {
            pregreet(bot64(i) + "1", 1);
            Decision n = rcpt(neighbour);
            Action expected = i < 5 ? Action.PASS : i < 8 ? Action.DEFER : Action.REJECT;
            assertEquals(expected, n.verdict().action(), "after " + i + " /64s: " + n.findings());
            if (expected == Action.DEFER) {
                assertEquals(ScoreCheck.NETWORK_REASON, n.primaryReason());
                assertTrue(n.verdict().toString().contains("2001:db8:77:100::/56 (" + i + " /64s contributed, "
                        + "each at most 20.0)"), n.verdict().toString());
            }
            if (expected == Action.REJECT) {
                assertEquals("ban", n.primaryReason(), n.findings().toString());
            }
            if (i == 4) {
                assertTrue(n.findings().stream().anyMatch(f -> f.detail().contains(
                        "4 /64s contributed, its score counts from 5 (networks.ipv6-tiers[0].min-children)")),
                        "score 32 >= 24, but only 4 of 5 /64s: " + n.findings());
            }
            Decision o = rcpt(otherClean);
            assertEquals(Action.PASS, o.verdict().action(), "a clean /64 of another /56 of the same /48, after " + i
                    + ": " + o.findings());
        }
        assertEquals(40, contributors(BOT56, 56));
        assertEquals(1, contributors(BOT56, 48), "the /48 counts /56s, not /64s or addresses");
        assertEquals(20.0, engine.store().score(tier(BOT56, 48)), 0.01, "one /56 adds at most the cap to its /48");
        assertTrue(banned.contains("2001:db8:77:100::/56"), banned.toString());
        assertFalse(banned.contains("2001:db8:77::/48"), banned.toString());
        assertTrue(engine.store().activeBan(tier(OTHER56, 48)).isEmpty());
        assertEquals(Action.PASS, rcpt(OTHER56 + "77").verdict().action());
    }

    @Test
    void oneSlash64AloneNeverMovesItsSlash56() throws Exception {
        // even a cap as high as the whole score: the crowd is what keeps one /64 from its neighbours
        start("[{prefix: 56, min-children: 2, cap: 10000}, {prefix: 48, min-children: 2, cap: 10000}]", "");
        for (int a = 1; a <= 50; a++) {
            pregreet(bot64(1) + Integer.toHexString(a), 3);
        }
        assertEquals(1200.0, engine.store().score(tier(BOT56, 56)), 0.5, "150 signals of 8 points, under the cap");
        assertEquals(1, contributors(BOT56, 56), "50 addresses of one /64 are one child");
        assertEquals(1, contributors(BOT56, 48));
        assertEquals(Action.REJECT, rcpt(bot64(1) + "99").verdict().action(), "the /64 itself is the host");
        Decision n = rcpt(bot64(2) + "1");
        assertEquals(Action.PASS, n.verdict().action(), n.findings().toString());
        assertTrue(n.findings().stream().anyMatch(f -> f.reason().equals("network-crowd")), n.findings().toString());
        assertTrue(banned.stream().noneMatch(b -> b.endsWith("/56") || b.endsWith("/48")), banned.toString());
    }

    @Test
    void enoughSlash56sRaiseTheirSlash48() throws Exception {
        start("[{prefix: 56, min-children: 3}, {prefix: 48, min-children: 3}]", "");
        // one /64 in each of three /56s: no /56 has a crowd, the /48 has three /56s
        for (String p : new String[] {"2001:db8:77:100::1", "2001:db8:77:200::1", "2001:db8:77:300::1"}) {
            pregreet(p, 1);
        }
        assertEquals(3, contributors(BOT56, 48));
        assertEquals(24.0, engine.store().score(tier(BOT56, 48)), 0.01);
        Decision d = rcpt("2001:db8:77:400::1");
        assertEquals(Action.DEFER, d.verdict().action(), d.findings().toString());
        assertTrue(d.verdict().toString().contains("2001:db8:77::/48 (3 /56s contributed"), d.verdict().toString());
        assertEquals(Action.PASS, rcpt("2001:db8:78::1").verdict().action(), "another /48");
        // without the /48 tier nothing but the /64s themselves is judged
        start("[{prefix: 56, min-children: 3}]", "");
        for (String p : new String[] {"2001:db8:77:100::1", "2001:db8:77:200::1", "2001:db8:77:300::1"}) {
            pregreet(p, 1);
        }
        assertEquals(Action.PASS, rcpt("2001:db8:77:400::1").verdict().action());
    }

    @Test
    void trustedClientsAreNeverRefusedByATierNorIsATierHoldingThemBanned() throws Exception {
        trusted = "[127.0.0.0/8, \"2001:db8:77:1ff::/64\"]";
        start("[{prefix: 56, min-children: 3}, {prefix: 48, min-children: 3}]", "");
        for (int i = 1; i <= 10; i++) {
            pregreet(bot64(i) + "1", 1);
        }
        assertEquals(Action.DEFER, rcpt("2001:db8:77:1fe::1").verdict().action());
        Decision t = rcpt("2001:db8:77:1ff::1");
        assertEquals(Action.PASS, t.verdict().action(), "networks.trusted: " + t.findings());
        assertTrue(refused.contains("2001:db8:77:100::/56 trusted"), refused.toString());
        assertTrue(banned.stream().noneMatch(b -> b.endsWith("/56")), banned.toString());
        // an admin ban of the /56 (a tier prefix) is accepted and refuses the rest, never the trusted /64
        engine.ban(Cidr.parse("2001:db8:77:100::/56"), null, "admin", "test");
        assertEquals("ban", rcpt("2001:db8:77:1fe::1").primaryReason());
        assertEquals(Action.PASS, rcpt("2001:db8:77:1ff::1").verdict().action());
    }

    @Test
    void tiersWiderThanTheBanMaximumAreScoredButNeverBanned() throws Exception {
        start("[{prefix: 56, min-children: 3}, {prefix: 48, min-children: 3}]", """
                bans:
                  threshold: 20.0
                  durations: [1h]
                  max-ipv6-prefix: 56
                  scanners: {enabled: false}
                """);
        for (int s = 1; s <= 6; s++) {
            for (int i = 0; i < 8; i++) {
                pregreet("2001:db8:77:" + Integer.toHexString(s) + "0" + i + "::1", 1);
            }
        }
        assertEquals(6, contributors(BOT56, 48));
        assertTrue(banned.stream().anyMatch(b -> b.endsWith("/56")), banned.toString());
        assertFalse(banned.contains("2001:db8:77::/48"), "wider than bans.max-ipv6-prefix: " + banned);
        Decision d = rcpt("2001:db8:77:f00::1");
        assertEquals(Action.DEFER, d.verdict().action(), "the /48 still defers: " + d.findings());
    }

    @Test
    void theDeprecatedWidenAfterIsReadAsTheTiersBanCrowd() throws Exception {
        start("[{prefix: 56, min-children: 3}, {prefix: 48, min-children: 4, ban-min-children: 6}]", """
                bans:
                  threshold: 20.0
                  ipv6-widen-after: 2
                  scanners: {enabled: false}
                """);
        List<NetworkTier> tiers = engine.rules().networkTiers(true);
        assertEquals(2, tiers.get(0).banMinChildren());
        assertEquals("bans.ipv6-widen-after", tiers.get(0).banMinKey());
        assertEquals(6, tiers.get(1).banMinChildren(), "a tier's own ban-min-children wins");
        assertEquals(List.of(24), engine.rules().networkTiers(false).stream().map(NetworkTier::prefix).toList());
    }
}
