package org.postwarden.engine;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.postwarden.api.AuthAttempt;
import org.postwarden.api.AuthVerdict;
import org.postwarden.api.LogSignal;
import org.postwarden.api.SignalOutcome;
import org.postwarden.config.PostwardenConfig;
import org.postwarden.config.load.ConfigLoader;
import org.postwarden.metrics.PostwardenMetrics;
import org.postwarden.model.Cidr;
import org.postwarden.model.ClientKey;
import org.postwarden.model.KeyLevel;
import org.postwarden.model.ManualTimeSource;
import org.postwarden.model.Signal;
import org.postwarden.outbound.Alert;
import org.postwarden.reputation.memory.MemoryReputationStore;
import org.postwarden.rules.Rules;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Dovecot auth policy on the shared store (issue 15): tarpit, refusal by distinct passwords, stale devices,
 * known devices, spraying with the crowd rule, our own addresses, SMTP bans, and no double counting with the log.
 * Time is a {@link ManualTimeSource}; nothing sleeps.
 */
class AuthPolicyTest {
    static final long T0 = 1_800_000_000_000L;
    final ManualTimeSource time = new ManualTimeSource(T0);
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    final List<Alert> alerts = new ArrayList<>();
    DecisionEngine engine;
    MemoryReputationStore store;

    /** Scores off (weights 0): the auth policy's own counts alone. */
    static final String NO_SCORES = """
            networks: {trusted: [192.0.2.1/32]}
            scoring:
              weights: {auth-failure: 0.0}
            bans: {threshold: 0.0, scanners: {enabled: false}}
            auth-policy:
              enabled: true
              proxies: [192.0.2.80/32]
            """;

    void start(String yaml) throws Exception {
        PostwardenConfig c = ConfigLoader.load("test", yaml);
        Rules rules = new Rules(c);
        PostwardenMetrics metrics = new PostwardenMetrics(registry);
        store = new MemoryReputationStore(rules.storeSettings(), time);
        SignalRecorder recorder = new SignalRecorder(metrics, time, null, null);
        engine = new DecisionEngine(rules, store, metrics).withSignals(recorder)
                .withAuth(new AuthPolicy(recorder, metrics, alerts::add));
    }

    AuthVerdict allow(String ip, String user) {
        return engine.authPolicy(new AuthAttempt(AuthAttempt.Command.ALLOW, user, "", ip(ip), "imap", null, false));
    }

    void fail(String ip, String user, String pwhash) {
        assertEquals(0, engine.authPolicy(new AuthAttempt(AuthAttempt.Command.REPORT, user, pwhash, ip(ip), "imap",
                false, false)).status(), "a report is always answered 0");
    }

    void success(String ip, String user) {
        engine.authPolicy(new AuthAttempt(AuthAttempt.Command.REPORT, user, "ok", ip(ip), "imap", true, false));
    }

    @Test
    void delaysFromTheThirdFailureDoublingToTheMaximum() throws Exception {
        start(NO_SCORES);
        String a = "203.0.113.7";
        assertEquals(0, allow(a, "bob").status());
        fail(a, "bob", "a1");
        fail(a, "bob", "a2");
        assertEquals(0, allow(a, "bob").status(), "two failures: not yet");
        fail(a, "bob", "a3");
        assertEquals(1, allow(a, "bob").status(), "the third: 1 s");
        assertEquals(AuthVerdict.Reason.TARPIT, allow(a, "bob").reason());
        fail(a, "bob", "a4");
        assertEquals(2, allow(a, "bob").status());
        fail(a, "bob", "a5");
        fail(a, "bob", "a6");
        assertEquals(8, allow(a, "bob").status());
        fail(a, "bob", "a7");
        fail(a, "bob", "a8");
        assertEquals(15, allow(a, "bob").status(), "at most max-delay");
        assertEquals(0, allow("203.0.113.8", "bob").status(), "another address is not delayed");
        time.advance(Duration.ofMinutes(11));
        assertEquals(0, allow(a, "bob").status(), "the tarpit window passed");
        assertTrue(registry.get("postwarden.auth.policy.tarpit.seconds").counter().count() >= 1 + 1 + 2 + 8 + 15);
    }

    @Test
    void refusesFromTenDistinctWrongPasswordsBeforeThePasswordCheck() throws Exception {
        start(NO_SCORES);
        String a = "203.0.113.9";
        for (int i = 0; i < 9; i++) {
            fail(a, "user" + (i % 3), "p" + i);
        }
        assertFalse(allow(a, "carol").refused(), "nine distinct: delayed, not refused");
        fail(a, "user0", "p9");
        AuthVerdict v = allow(a, "carol");
        assertTrue(v.refused(), v.toString());
        assertEquals(AuthVerdict.Reason.BRUTE_FORCE, v.reason());
        time.advance(Duration.ofMinutes(61));
        assertFalse(allow(a, "carol").refused(), "the refusal window passed");
    }

    @Test
    void aDeviceRetryingOneStalePasswordIsOneFailureAndNeverDelaysItsAddress() throws Exception {
        start(NO_SCORES);
        String office = "203.0.113.20";
        for (int i = 0; i < 20; i++) {
            fail(office, "dave", "0ab");
            time.advance(Duration.ofSeconds(20));
        }
        assertEquals(0, allow(office, "erin").status(), "one stale password is one failure: no delay");
        assertEquals(0, allow(office, "dave").status());
        assertEquals(19, registry.get("postwarden.auth.policy.stale.passwords").counter().count(), 0.0);
        AuthLogins.UserLogins l = engine.auth().explain("dave", engine.rules(), store);
        assertEquals(1, l.failures());
        assertEquals(1, l.stale().size(), l.toString());
        assertTrue(l.stale().get(0).startsWith("stale password from a device at 203.0.113.20"), l.stale().get(0));
        assertTrue(l.stale().get(0).contains("20 times"), l.stale().get(0));
    }

    @Test
    void aKnownDeviceIsNeverDelayedForItsOwnTyposButRefusedAtTheRefusalCount() throws Exception {
        start(NO_SCORES.replace("auth-failure: 0.0", "auth-failure: 3.0")
                .replace("threshold: 0.0", "threshold: 1000.0"));
        String home = "203.0.113.30";
        success(home, "frank");
        for (int i = 0; i < 5; i++) {
            fail(home, "frank", "typo" + i);
        }
        assertEquals(0, allow(home, "frank").status(), "a known device is not delayed");
        assertEquals(0.0, store.score(ClientKey.of(ip(home), KeyLevel.HOST, 48)), 0.0,
                "its own typos do not score its address");
        assertTrue(allow(home, "mallory").status() > 0, "another user from that address is delayed");
        for (int i = 5; i < 10; i++) {
            fail(home, "frank", "typo" + i);
        }
        assertTrue(allow(home, "frank").refused(), "at the refusal count even a known device is refused");
        time.advance(Duration.ofDays(8));
        assertFalse(engine.auth().explain("frank", engine.rules(), store).knownDevices().contains(home));
    }

    @Test
    void sprayingFromACrowdRefusesTheNetworkButOneHostAloneNeverMovesItsNeighbours() throws Exception {
        start(NO_SCORES);
        // one host trying 30 users: itself refused (distinct passwords), its neighbours untouched
        for (int i = 0; i < 30; i++) {
            fail("198.51.100.10", "u" + i, "x");
        }
        assertTrue(allow("198.51.100.10", "u0").refused());
        assertFalse(allow("198.51.100.99", "someone").refused(), "one host never refuses its /24");
        assertEquals(0, allow("198.51.100.99", "someone").status());
        assertTrue(alerts.stream().noneMatch(a -> a.subject().startsWith("network:")), alerts.toString());
        // a crowd: three more hosts of the /24, seven users each, one password each
        for (int h = 11; h <= 13; h++) {
            for (int i = 0; i < 7; i++) {
                fail("198.51.100." + h, "v" + h + "-" + i, "y");
            }
        }
        AuthVerdict v = allow("198.51.100.99", "someone");
        assertTrue(v.refused(), v.toString());
        assertEquals(AuthVerdict.Reason.SPRAYING, v.reason());
        assertFalse(allow("198.51.101.5", "someone").refused(), "another /24 is not");
        List<Alert> spray = alerts.stream().filter(a -> a.kind().equals("auth-spraying")).toList();
        assertEquals(1, spray.size(), "one alert per network and window: " + alerts);
        assertEquals("network:198.51.100.0/24", spray.get(0).subject());
    }

    @Test
    void sprayingOverTheWholeSiteRaisesOneAlert() throws Exception {
        start(NO_SCORES + "  spraying: {network-users: 0, total-users: 20, window: 1h}\n");
        for (int i = 0; i < 25; i++) {
            fail("10.0." + i + ".7", "w" + i, "z");
        }
        List<Alert> site = alerts.stream().filter(a -> a.subject().equals("site")).toList();
        assertEquals(1, site.size(), alerts.toString());
        assertEquals(20, site.get(0).details().get("users"));
    }

    @Test
    void ourOwnAndProxyAddressesAreNeverRefusedOrDelayed() throws Exception {
        start(NO_SCORES);
        for (String ours : List.of("192.0.2.1", "192.0.2.80")) {
            for (int i = 0; i < 30; i++) {
                fail(ours, "u" + i, "p" + i);
            }
            engine.ban(new Cidr(ip(ours), 32), Duration.ofHours(1), "admin", "test");
            AuthVerdict v = allow(ours, "u1");
            assertEquals(0, v.status(), ours + " " + v);
            assertEquals(AuthVerdict.Reason.TRUSTED, v.reason());
        }
    }

    @Test
    void anSmtpBanRefusesImapAndFailuresScoreLikeTheLogOnce() throws Exception {
        start("""
                bans: {threshold: 20.0, durations: [1h], scanners: {enabled: false}}
                scoring: {weights: {auth-failure: 3.0}}
                auth-policy: {enabled: true}
                """);
        engine.ban(new Cidr(ip("203.0.113.50"), 32), null, "pregreet", "postscreen");
        AuthVerdict v = allow("203.0.113.50", "gina");
        assertTrue(v.refused());
        assertEquals(AuthVerdict.Reason.BANNED, v.reason());

        String a = "203.0.113.51";
        ClientKey host = ClientKey.of(ip(a), KeyLevel.HOST, 48);
        fail(a, "hank", "h1");
        assertEquals(3.0, store.score(host), 0.01, "a reported failure weighs what a log line weighs");
        // Dovecot then logs the same failure: not counted again
        SignalOutcome o = engine.observe(new LogSignal(Signal.AUTH_FAILURE, ip(a), "hank", 1, "imap-login", ""));
        assertEquals(SignalOutcome.DUPLICATE, o);
        assertEquals(3.0, store.score(host), 0.01);
        // a failure only the log saw still counts
        o = engine.observe(new LogSignal(Signal.AUTH_FAILURE, ip(a), "hank", 2, "imap-login", ""));
        assertEquals(SignalOutcome.SCORED, o);
        assertEquals(9.0, store.score(host), 0.01);
        for (int i = 2; i <= 5; i++) {
            fail(a, "hank", "h" + i);
        }
        assertTrue(store.activeBan(host).isPresent(), "failures ban the address for SMTP too");
        assertTrue(allow(a, "hank").refused());
    }

    @Test
    void ringsSurviveTheirCodec() throws Exception {
        AuthRing bounded = new AuthRing(8);
        for (int i = 0; i < 20; i++) {
            bounded.hit(i, 7, (byte) 0, T0 + i, T0 - 1);
        }
        assertEquals(8, bounded.size(), "bounded by its capacity");
        assertEquals(0, bounded.hits(0, 7, T0), "the pair seen longest ago made room");
        AuthRing r = new AuthRing(8);
        for (int i = 0; i < 12; i++) {
            r.hit(i % 6, 7, (byte) 6, T0 + i, T0 - 1);
        }
        assertEquals(6, r.size());
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        new AuthRing.Codec().write(new DataOutputStream(bytes), r);
        AuthRing back = new AuthRing.Codec().read(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())),
                1);
        assertEquals(r.size(), back.size());
        assertEquals(r.distinct(T0), back.distinct(T0));
        assertEquals(2, back.hits(0, 7, T0), "0 was seen at i=0 and i=6");
        assertFalse(back.hit(1, 7, (byte) 6, T0 + 20, T0), "a pair seen before is not new");
    }

    static InetAddress ip(String s) {
        return Cidr.parseAddress(s);
    }
}
