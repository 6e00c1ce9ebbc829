package org.postwarden.engine;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.postwarden.api.BanListener;
import org.postwarden.api.LogSignal;
import org.postwarden.api.SignalOutcome;
import org.postwarden.config.PostwardenConfig;
import org.postwarden.config.load.ConfigLoader;
import org.postwarden.dnsbl.ScannerCheck;
import org.postwarden.metrics.PostwardenMetrics;
import org.postwarden.model.Cidr;
import org.postwarden.model.ClientKey;
import org.postwarden.model.KeyLevel;
import org.postwarden.model.MailEvent;
import org.postwarden.model.ManualTimeSource;
import org.postwarden.model.Signal;
import org.postwarden.model.SmtpStage;
import org.postwarden.reputation.Ban;
import org.postwarden.reputation.ReputationStore;
import org.postwarden.reputation.memory.MemoryReputationStore;
import org.postwarden.rules.Rules;
import org.postwarden.verdict.Action;
import org.postwarden.verdict.Decision;

import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Log signals into the store: scores, bans with escalation, guards, scanners, user alerts. Time never sleeps. */
class SignalRecorderTest {
    static final long T0 = 1_800_000_000_000L;
    final ManualTimeSource time = new ManualTimeSource(T0);
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    final List<Ban> banned = new ArrayList<>();
    final List<String> refused = new ArrayList<>();
    final List<String> alerts = new ArrayList<>();
    DecisionEngine engine;
    SignalRecorder recorder;

    static final String BASE = """
            scoring:
              half-life: 1h
              subnet-factor: 3.0
              weights: {pregreet: 10.0, auth-failure: 3.0, tls-failure: 2.0, relay-denied: 4.0}
            """;
    /** Used unless a test gives its own {@code bans:} section (the rest comes from the embedded default). */
    static final String BANS = """
            bans:
              threshold: 20.0
              subnet-min-hosts: 3
              durations: [1h, 1d, permanent]
            """;

    void start(String extra) throws Exception {
        start(extra, null);
    }

    void start(String extra, ScannerCheck scanners) throws Exception {
        PostwardenConfig c = ConfigLoader.load("test", BASE + (extra.contains("bans:") ? "" : BANS) + extra);
        Rules rules = new Rules(c);
        PostwardenMetrics metrics = new PostwardenMetrics(registry);
        recorder = new SignalRecorder(metrics, time, scanners, listener());
        engine = new DecisionEngine(rules, new MemoryReputationStore(rules.storeSettings(), time), metrics)
                .withSignals(recorder);
    }

    /** Writes down bans, refusals and alerts. */
    BanListener listener() {
        return new BanListener() {
            @Override
            public void banned(Ban ban, boolean dryRun) {
                banned.add(ban);
            }

            @Override
            public void refused(ClientKey key, String reason, String detail) {
                refused.add(key.cidr() + " " + reason);
            }

            @Override
            public void userAlert(String user, double score, int sources) {
                alerts.add(user + " " + sources);
            }
        };
    }

    static InetAddress ip(String s) {
        return Cidr.parseAddress(s);
    }

    SignalOutcome sig(Signal s, String ip) {
        return engine.observe(LogSignal.of(s, ip(ip), "test"));
    }

    Optional<Ban> ban(String ip, KeyLevel level) {
        return engine.store().activeBan(ClientKey.of(ip(ip), level, engine.rules().widePrefix()));
    }

    Decision rcpt(String ip) {
        return engine.decideNow(MailEvent.builder(SmtpStage.RCPT).source("policy").client(ip).clientPort(4000)
                .helo("mail.client.test").sender("a@client.test").recipient("u@localhost").build());
    }

    @Test
    void scoresAddUpAtEveryLevelAndAPregreetDefersTheNextRcpt() throws Exception {
        start("");
        assertEquals(SignalOutcome.SCORED, sig(Signal.PREGREET, "192.0.2.7"));
        ReputationStore s = engine.store();
        assertEquals(10.0, s.score(ClientKey.of(ip("192.0.2.7"), KeyLevel.HOST, 48)), 1e-6);
        assertEquals(10.0, s.score(ClientKey.of(ip("192.0.2.7"), KeyLevel.SUBNET, 48)), 1e-6);
        // the policy server sees the same store: score 10 >= defer 8
        assertEquals(Action.DEFER, rcpt("192.0.2.7").verdict().action());
        assertTrue(banned.isEmpty());
    }

    @Test
    void aHostOverTheThresholdIsBannedAndRefusedAtEveryStage() throws Exception {
        start("");
        sig(Signal.PREGREET, "192.0.2.7");
        sig(Signal.PREGREET, "192.0.2.7");
        Ban b = ban("192.0.2.7", KeyLevel.HOST).orElseThrow();
        assertEquals(T0 + Duration.ofHours(1).toMillis(), b.untilMillis());
        assertEquals("pregreet", b.reason());
        assertEquals(1, banned.size());
        for (SmtpStage st : List.of(SmtpStage.CONNECT, SmtpStage.HELO, SmtpStage.MAIL, SmtpStage.RCPT)) {
            Decision d = engine.decideNow(MailEvent.builder(st).source("milter").client("192.0.2.7").clientPort(5)
                    .build());
            assertEquals(Action.REJECT, d.verdict().action(), st.label());
            assertTrue(d.verdict().toString().contains("banned"), d.verdict().toString());
        }
        // a further signal while banned does not ban again (no offense inflation)
        sig(Signal.PREGREET, "192.0.2.7");
        assertEquals(1, banned.size());
    }

    @Test
    void bansEscalateOnRepeatUpToPermanent() throws Exception {
        start("");
        List<Long> lengths = new ArrayList<>();
        for (int round = 0; round < 4; round++) {
            for (int i = 0; i < 3; i++) {
                sig(Signal.PREGREET, "198.51.100.9");
            }
            Ban b = ban("198.51.100.9", KeyLevel.HOST).orElseThrow();
            lengths.add(b.permanent() ? -1 : b.untilMillis() - b.sinceMillis());
            if (b.permanent()) {
                break;
            }
            time.set(b.untilMillis() + 1);
            assertTrue(ban("198.51.100.9", KeyLevel.HOST).isEmpty(), "expired");
        }
        assertEquals(List.of(Duration.ofHours(1).toMillis(), Duration.ofDays(1).toMillis(), -1L), lengths);
    }

    @Test
    void ignoredAllowlistedAndOwnAddressesAreNeverScoredOrBanned() throws Exception {
        start("""
                allowlist: {clients: [203.0.113.0/28]}
                networks: {own-addresses: [203.0.113.25]}
                bans: {ignore-networks: [198.51.100.0/24]}
                """);
        for (String ip : List.of("203.0.113.5", "203.0.113.25", "198.51.100.77")) {
            for (int i = 0; i < 10; i++) {
                assertEquals(SignalOutcome.IGNORED, sig(Signal.AUTH_FAILURE, ip), ip);
            }
            assertEquals(0, engine.store().score(ClientKey.of(ip(ip), KeyLevel.HOST, 48)), ip);
            assertTrue(ban(ip, KeyLevel.HOST).isEmpty(), ip);
        }
    }

    @Test
    void aSlash24IsBannedOnlyWhenEnoughOfItsAddressesContributed() throws Exception {
        start("bans: {threshold: 20.0, subnet-min-hosts: 3, durations: [1h]}\n");
        // one host: its /24 score passes 60 but only one address added to it
        for (int i = 0; i < 40; i++) {
            sig(Signal.TLS_FAILURE, "192.0.2.1");
        }
        assertTrue(ban("192.0.2.1", KeyLevel.HOST).isPresent());
        assertTrue(ban("192.0.2.1", KeyLevel.SUBNET).isEmpty(), "one host does not get its /24 banned");
        // a TLS flood from the whole /24: every address stays under the host threshold
        for (int round = 0; round < 9; round++) {
            for (int h = 10; h < 14; h++) {
                sig(Signal.TLS_FAILURE, "198.51.100." + h);
            }
        }
        for (int h = 10; h < 14; h++) {
            assertTrue(ban("198.51.100." + h, KeyLevel.HOST).isEmpty());
        }
        Ban subnet = ban("198.51.100.10", KeyLevel.SUBNET).orElseThrow();
        assertEquals("198.51.100.0/24", subnet.key().cidr());
        assertEquals(Action.REJECT, rcpt("198.51.100.200").verdict().action(), "every address of the /24");
    }

    @Test
    void ipv6BansTheSlash64AndThenItsTierWithACrowdOfSlash64s() throws Exception {
        start("""
                store: {ipv6-wide-prefix: 48}
                networks: {ipv6-tiers: [{prefix: 56, min-children: 3}, {prefix: 48, min-children: 3}]}
                bans: {threshold: 20.0, max-ipv6-prefix: 48, durations: [1d]}
                """);
        for (int net = 1; net <= 3; net++) {
            sig(Signal.PREGREET, "2001:db8:5:" + net + "::1");
            sig(Signal.PREGREET, "2001:db8:5:" + net + "::2"); // another address of the same /64
            assertTrue(ban("2001:db8:5:" + net + "::99", KeyLevel.SUBNET).isPresent(), "the /64 " + net);
        }
        Ban tier = engine.store().activeBan(ClientKey.of(ip("2001:db8:5:77::1"), KeyLevel.WIDE, 56)).orElseThrow();
        assertEquals("2001:db8:5::/56", tier.key().cidr());
        assertTrue(tier.detail().contains("from 3 /64s"), tier.detail());
        assertTrue(ban("2001:db8:5:100::1", KeyLevel.WIDE).isEmpty(), "the /48 holds one /56: no crowd");
    }

    @Test
    void noTierBanPastTheConfiguredMaximum() throws Exception {
        start("""
                store: {ipv6-wide-prefix: 32}
                networks: {ipv6-tiers: [{prefix: 56, min-children: 2}, {prefix: 40, min-children: 2}]}
                bans: {threshold: 20.0, max-ipv6-prefix: 48}
                """);
        for (int net = 1; net <= 4; net++) {
            sig(Signal.PREGREET, "2001:db8:" + net + "::1");
            sig(Signal.PREGREET, "2001:db8:" + net + "::1");
        }
        assertTrue(ban("2001:db8:1::1", KeyLevel.SUBNET).isPresent());
        ClientKey slash40 = ClientKey.of(ip("2001:db8:1::1"), KeyLevel.WIDE, 40);
        assertEquals(4, NetworkScores.contributors(engine.store(), slash40), "four /56s");
        assertTrue(engine.store().score(slash40) >= 60, "at the ban level");
        assertTrue(engine.store().activeBan(slash40).isEmpty(), "a /40 is wider than max-ipv6-prefix /48");
        assertTrue(ban("2001:db8:1::1", KeyLevel.WIDE).isEmpty());
    }

    @Test
    void thePrivateAddressCarryingMostTrafficIsNeverBanned() throws Exception {
        start("");
        // every connection appears to come from the Docker gateway, a few from another container
        for (int i = 0; i < 50; i++) {
            engine.observe(LogSignal.traffic(ip("172.17.0.1")));
        }
        engine.observe(LogSignal.traffic(ip("172.17.0.5")));
        for (int i = 0; i < 5; i++) {
            sig(Signal.AUTH_FAILURE, "172.17.0.1");
            sig(Signal.AUTH_FAILURE, "172.17.0.1");
            sig(Signal.AUTH_FAILURE, "172.17.0.5");
            sig(Signal.AUTH_FAILURE, "172.17.0.5");
        }
        assertTrue(ban("172.17.0.1", KeyLevel.HOST).isEmpty(), "the gateway is not banned");
        assertTrue(refused.contains("172.17.0.1/32 private-majority"), refused.toString());
        assertTrue(ban("172.17.0.5", KeyLevel.HOST).isPresent(), "a minor private address still is");
        assertTrue(registry.get("postwarden.ban.refusals").tag("reason", "private-majority").counter().count() >= 1);
    }

    @Test
    void theGuardCanBeTurnedOff() throws Exception {
        start("bans: {private-majority: {share: 0}}\n");
        for (int i = 0; i < 50; i++) {
            engine.observe(LogSignal.traffic(ip("10.0.0.1")));
        }
        for (int i = 0; i < 7; i++) {
            sig(Signal.AUTH_FAILURE, "10.0.0.1");
        }
        assertTrue(ban("10.0.0.1", KeyLevel.HOST).isPresent());
    }

    @Test
    void forwardConfirmedScannersAreLoggedNotBannedAndNotScoredOnceKnown() throws Exception {
        FakeScanners scanners = new FakeScanners();
        scanners.names.put(ip("192.0.2.80"), "scan-42.shodan.io");
        start("", scanners);
        sig(Signal.PREGREET, "192.0.2.80");
        sig(Signal.PREGREET, "192.0.2.80");
        assertTrue(ban("192.0.2.80", KeyLevel.HOST).isEmpty(), "lookup pending: no ban yet");
        scanners.complete();
        assertTrue(ban("192.0.2.80", KeyLevel.HOST).isEmpty());
        assertEquals(List.of("192.0.2.80/32 scanner"), refused);
        assertEquals(SignalOutcome.SCANNER, sig(Signal.PREGREET, "192.0.2.80"), "cached: not scored");
        // an ordinary client: the lookup says "no", then the ban is issued
        sig(Signal.PREGREET, "192.0.2.81");
        sig(Signal.PREGREET, "192.0.2.81");
        scanners.complete();
        assertTrue(ban("192.0.2.81", KeyLevel.HOST).isPresent());
        assertEquals(2, scanners.lookups, "one lookup per ban due, none per line");
    }

    @Test
    void slowBruteForceAgainstOneUserAlertsAlthoughNoAddressIsBanned() throws Exception {
        start("bans: {user-alert-threshold: 30.0, user-alert-interval: 1h}\n");
        for (int i = 0; i < 12; i++) {
            engine.observe(new LogSignal(Signal.AUTH_FAILURE, ip("198.51.100." + (i + 1)), "ceo", 1, "x", ""));
            time.advance(Duration.ofSeconds(30));
        }
        assertTrue(banned.isEmpty(), "no single address crossed the threshold");
        assertEquals(List.of("ceo 11"), alerts, "alerted once, when the score reached 30");
        assertTrue(recorder.userScore("ceo", engine.store()) >= 30);
        time.advance(Duration.ofHours(2));
        for (int i = 0; i < 12; i++) {
            engine.observe(new LogSignal(Signal.AUTH_FAILURE, ip("203.0.113." + (i + 1)), "ceo", 1, "x", ""));
        }
        assertEquals(2, alerts.size(), "again after the interval");
    }

    @Test
    void ignoredUsersAreNotAlertedButTheirFailuresStillCountAgainstTheAddress() throws Exception {
        start("bans: {user-alert-threshold: 5.0, ignore-users: [monitor]}\n");
        for (int i = 0; i < 7; i++) {
            engine.observe(new LogSignal(Signal.AUTH_FAILURE, ip("192.0.2.44"), "monitor", 1, "x", ""));
        }
        assertTrue(alerts.isEmpty());
        assertEquals(0, recorder.userScore("monitor", engine.store()));
        assertTrue(ban("192.0.2.44", KeyLevel.HOST).isPresent());
    }

    @Test
    void aRelayAttemptTheListenerAlreadyScoredIsNotScoredAgainFromTheLog() throws Exception {
        start("");
        MailEvent rcpt = MailEvent.builder(SmtpStage.RCPT).source("policy").client("192.0.2.50").clientPort(6000)
                .helo("x.test").sender("a@x.test").recipient("Victim@Elsewhere.test").build();
        engine.decideNow(rcpt);
        double after = engine.store().score(ClientKey.of(ip("192.0.2.50"), KeyLevel.HOST, 48));
        assertEquals(SignalOutcome.DUPLICATE, engine.observe(new LogSignal(Signal.RELAY_DENIED,
                ip("192.0.2.50"), "", 1, "Relay access denied", "victim@elsewhere.test")));
        assertEquals(after, engine.store().score(ClientKey.of(ip("192.0.2.50"), KeyLevel.HOST, 48)), 1e-6);
        assertEquals(SignalOutcome.SCORED, engine.observe(new LogSignal(Signal.RELAY_DENIED,
                ip("192.0.2.51"), "", 1, "Relay access denied", "victim@elsewhere.test")), "unseen RCPT: scored");
    }

    @Test
    void dryRunLogsWouldBanAndStoresNothing() throws Exception {
        start("checks: {ban: {enabled: true, dry-run: true}}\n");
        for (int i = 0; i < 3; i++) {
            sig(Signal.PREGREET, "192.0.2.60");
        }
        assertTrue(ban("192.0.2.60", KeyLevel.HOST).isEmpty());
        assertEquals(0, engine.store().offenses(ClientKey.of(ip("192.0.2.60"), KeyLevel.HOST, 48)));
        assertEquals(1, banned.size(), "reported as would-ban");
    }

    @Test
    void permanentListIsRefusedAtEveryStage() throws Exception {
        start("bans: {permanent: [198.51.100.0/24]}\n");
        Decision d = engine.decideNow(MailEvent.builder(SmtpStage.CONNECT).source("milter").client("198.51.100.3")
                .clientPort(1).build());
        assertEquals(Action.REJECT, d.verdict().action());
        assertTrue(d.verdict().toString().contains("bans.permanent"), d.verdict().toString());
        assertNull(engine.rules().bans().permanentNetwork(ip("198.51.101.3")));
    }

    @Test
    void bansSurviveASnapshotRoundTrip() throws Exception {
        start("");
        for (int i = 0; i < 3; i++) {
            sig(Signal.PREGREET, "192.0.2.70");
        }
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        org.postwarden.reputation.memory.StoreSnapshot.write((MemoryReputationStore) engine.store(), out);
        MemoryReputationStore fresh = new MemoryReputationStore(engine.rules().storeSettings(), time);
        org.postwarden.reputation.memory.StoreSnapshot.read(fresh, new java.io.ByteArrayInputStream(out.toByteArray()));
        ClientKey k = ClientKey.of(ip("192.0.2.70"), KeyLevel.HOST, 48);
        assertTrue(fresh.activeBan(k).isPresent());
        assertEquals(1, fresh.offenses(k), "escalation memory survives too");
    }

    /** The engine after a restart: a new store restored from a snapshot of the current one, a new recorder. */
    DecisionEngine restarted() throws Exception {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        org.postwarden.reputation.memory.StoreSnapshot.write((MemoryReputationStore) engine.store(), out);
        MemoryReputationStore fresh = new MemoryReputationStore(engine.rules().storeSettings(), time);
        org.postwarden.reputation.memory.StoreSnapshot.read(fresh, new java.io.ByteArrayInputStream(out.toByteArray()));
        recorder = new SignalRecorder(new PostwardenMetrics(registry), time, null, listener());
        return new DecisionEngine(engine.rules(), fresh, new PostwardenMetrics(registry)).withSignals(recorder);
    }

    @Test
    void failedLoginScoresAndTheirSourcesSurviveARestart() throws Exception {
        start("bans: {user-alert-threshold: 30.0, user-alert-interval: 1h}\n");
        for (int i = 0; i < 6; i++) {
            engine.observe(new LogSignal(Signal.AUTH_FAILURE, ip("198.51.100." + (i + 1)), "ceo", 1, "x", ""));
        }
        double before = recorder.userScore("ceo", engine.store());
        assertTrue(before >= 18, "six failures of weight 3");
        engine = restarted();
        assertEquals(before, recorder.userScore("ceo", engine.store()), 1e-9, "the user's score came back");
        for (int i = 6; i < 10; i++) {
            engine.observe(new LogSignal(Signal.AUTH_FAILURE, ip("198.51.100." + (i + 1)), "ceo", 1, "x", ""));
        }
        assertEquals(List.of("ceo 10"), alerts, "the alert counts the addresses from before the restart too");
    }

    @Test
    void theLastAlertTimeSurvivesARestartSoTheAlertIsNotRepeated() throws Exception {
        start("bans: {user-alert-threshold: 9.0, user-alert-interval: 1h}\n");
        for (int i = 0; i < 3; i++) {
            engine.observe(new LogSignal(Signal.AUTH_FAILURE, ip("198.51.100.9"), "bob", 1, "x", ""));
        }
        assertEquals(1, alerts.size());
        engine = restarted();
        engine.observe(new LogSignal(Signal.AUTH_FAILURE, ip("198.51.100.9"), "bob", 1, "x", ""));
        assertEquals(1, alerts.size(), "within bans.user-alert-interval of the first alert");
        time.advance(Duration.ofMinutes(61));
        for (int i = 0; i < 4; i++) {
            engine.observe(new LogSignal(Signal.AUTH_FAILURE, ip("198.51.100.9"), "bob", 1, "x", ""));
        }
        assertEquals(2, alerts.size(), "after the interval it alerts again");
    }

    @Test
    void theHostsThatContributedToANetworkSurviveARestart() throws Exception {
        start("");
        // two hosts of 192.0.2.0/24 contribute their full share (20, the host ban threshold) before the restart,
        // more after: the /24 needs 3 contributors (subnet-min-hosts) and 60 (20 x subnet-factor)
        for (int i = 0; i < 2; i++) {
            sig(Signal.PREGREET, "192.0.2.1");
            sig(Signal.PREGREET, "192.0.2.2");
        }
        assertTrue(ban("192.0.2.50", KeyLevel.SUBNET).isEmpty());
        engine = restarted();
        assertEquals(2, NetworkScores.contributors(engine.store(), ClientKey.of(ip("192.0.2.0"), KeyLevel.SUBNET, 48)));
        for (String h : List.of("192.0.2.3", "192.0.2.4")) {
            for (int i = 0; i < 2 && ban("192.0.2.50", KeyLevel.SUBNET).isEmpty(); i++) {
                sig(Signal.PREGREET, h);
                time.advance(Duration.ofSeconds(1));
            }
        }
        assertTrue(ban("192.0.2.50", KeyLevel.SUBNET).isPresent(),
                "three distinct hosts in all, two of them remembered (with their shares) from before the restart");
    }

    @Test
    void thePrivateTrafficSharesSurviveARestart() throws Exception {
        start("");
        for (int i = 0; i < 50; i++) {
            engine.observe(LogSignal.traffic(ip("172.17.0.1")));
        }
        engine = restarted();
        for (int i = 0; i < 5; i++) {
            sig(Signal.AUTH_FAILURE, "172.17.0.1");
            sig(Signal.AUTH_FAILURE, "172.17.0.1");
        }
        assertTrue(ban("172.17.0.1", KeyLevel.HOST).isEmpty(), "still the address carrying most private traffic");
        assertTrue(refused.contains("172.17.0.1/32 private-majority"), refused.toString());
    }

    @Test
    void aScoreOfExactlyTheThresholdBansAlthoughTheClockMovesOn() throws Exception {
        // a clock that moves a millisecond at every reading: re-read scores have always decayed a little
        java.util.concurrent.atomic.AtomicLong tick = new java.util.concurrent.atomic.AtomicLong(T0);
        org.postwarden.model.TimeSource moving = tick::incrementAndGet;
        PostwardenConfig c = ConfigLoader.load("test", BASE + "bans: {threshold: 10.0}\n");
        Rules rules = new Rules(c);
        PostwardenMetrics metrics = new PostwardenMetrics(registry);
        SignalRecorder r = new SignalRecorder(metrics, moving, null, BanListener.NONE);
        DecisionEngine e = new DecisionEngine(rules, new MemoryReputationStore(rules.storeSettings(), moving), metrics)
                .withSignals(r);
        // one signal of weight 10 through the uncapped way in (a log line adds at most half the threshold)
        r.apply(LogSignal.of(Signal.PREGREET, ip("192.0.2.95"), "one PREGREET of weight 10"), rules, e.store());
        assertTrue(e.store().activeBan(ClientKey.of(ip("192.0.2.95"), KeyLevel.HOST, 48)).isPresent());
    }

    @Test
    void noSingleLogLineBansHoweverManyAttemptsItClaims() throws Exception {
        start("");
        // what `logger -t imap-login 'Disconnected (auth failed, 100 attempts ...) rip=203.0.113.9'` becomes
        LogSignal forged = new LogSignal(Signal.AUTH_FAILURE, ip("203.0.113.9"), "bob", 100, "forged", "");
        assertEquals(SignalOutcome.SCORED, engine.observe(forged));
        ReputationStore s = engine.store();
        // 3 attempts (ingest.max-attempts-per-line) x 3 points, not 100 x 3
        assertEquals(9.0, s.score(ClientKey.of(ip("203.0.113.9"), KeyLevel.HOST, 48)), 1e-6);
        assertEquals(9.0, recorder.userScore("bob", s), 1e-6);
        assertTrue(ban("203.0.113.9", KeyLevel.HOST).isEmpty());
        assertTrue(banned.isEmpty());
        // a second line is a second line: the cap is per line, the threshold is reached by repetition
        engine.observe(forged);
        engine.observe(forged);
        assertTrue(ban("203.0.113.9", KeyLevel.HOST).isPresent());
    }

    @Test
    void aLinesPointsStayBelowTheThresholdWhateverItsWeight() throws Exception {
        start("ingest: {max-line-share: 0.25, max-attempts-per-line: 100}\nbans: {threshold: 20.0}\n");
        // PREGREET weighs 10 here; one line adds at most 0.25 x 20 = 5
        sig(Signal.PREGREET, "203.0.113.10");
        assertEquals(5.0, engine.store().score(ClientKey.of(ip("203.0.113.10"), KeyLevel.HOST, 48)), 1e-6);
        engine.observe(new LogSignal(Signal.AUTH_FAILURE, ip("203.0.113.11"), "", 7, "7 attempts", ""));
        assertEquals(5.0, engine.store().score(ClientKey.of(ip("203.0.113.11"), KeyLevel.HOST, 48)), 1e-6);
        // a line under the cap counts in full
        engine.observe(new LogSignal(Signal.TLS_FAILURE, ip("203.0.113.12"), "", 1, "one", ""));
        assertEquals(2.0, engine.store().score(ClientKey.of(ip("203.0.113.12"), KeyLevel.HOST, 48)), 1e-6);
        assertTrue(banned.isEmpty());
    }

    @Test
    void failedWebmailLoginsFromTrustedLoopbackNeverBanIt() throws Exception {
        start(""); // networks.trusted: the default 127.0.0.0/8
        for (int i = 0; i < 7; i++) {
            // Dovecot behind a webmail logs rip=127.0.0.1
            engine.observe(new LogSignal(Signal.AUTH_FAILURE, ip("127.0.0.1"), "alice", 3, "webmail", ""));
        }
        assertTrue(ban("127.0.0.1", KeyLevel.HOST).isEmpty());
        assertTrue(ban("127.0.0.1", KeyLevel.SUBNET).isEmpty());
        assertTrue(banned.isEmpty(), banned.toString());
        assertTrue(refused.contains("127.0.0.1/32 trusted"), refused.toString());
        assertEquals(Action.PASS, rcpt("127.0.0.1").verdict().action());
    }

    @Test
    void noBansWhenTheThresholdIsZero() throws Exception {
        start("bans: {threshold: 0}\n");
        for (int i = 0; i < 10; i++) {
            sig(Signal.PREGREET, "192.0.2.90");
        }
        assertFalse(ban("192.0.2.90", KeyLevel.HOST).isPresent());
    }

    /** Answers scanner lookups when told to. */
    static final class FakeScanners implements ScannerCheck {
        final Map<InetAddress, String> names = new ConcurrentHashMap<>();
        final Map<InetAddress, Optional<String>> cache = new ConcurrentHashMap<>();
        final List<Runnable> pending = new ArrayList<>();
        int lookups;

        @Override
        public CompletionStage<Optional<String>> scanner(InetAddress address) {
            lookups++;
            CompletableFuture<Optional<String>> f = new CompletableFuture<>();
            pending.add(() -> {
                Optional<String> v = Optional.ofNullable(names.get(address));
                cache.put(address, v);
                f.complete(v);
            });
            return f;
        }

        @Override
        public Optional<String> cached(InetAddress address) {
            return cache.get(address);
        }

        void complete() {
            List<Runnable> now = new ArrayList<>(pending);
            pending.clear();
            now.forEach(Runnable::run);
        }
    }
}
