package org.postwarden.engine;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.postwarden.api.BanListener;
import org.postwarden.api.LogSignal;
import org.postwarden.config.PostwardenConfig;
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
import org.postwarden.rules.Rules;
import org.postwarden.verdict.Action;
import org.postwarden.verdict.Decision;
import org.postwarden.verdict.Verdict;

import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What is judged per host, per network and per user (issue 14): one host never condemns its /24, a network needs a
 * crowd and refuses at most with a 4xx, a clean history, trusted hosts, authenticated users and submission before
 * AUTH. Time is a {@link ManualTimeSource}; nothing sleeps.
 */
class NetworkCrowdTest {
    static final long T0 = 1_800_000_000_000L;
    static final String NET = "198.51.100.";
    static final String TRUSTED = NET + "2";
    final ManualTimeSource time = new ManualTimeSource(T0);
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    final List<String> refused = new ArrayList<>();
    final List<String> alerts = new ArrayList<>();
    DecisionEngine engine;
    int port = 30000;
    int queue;

    static final String NETWORKS = """
            networks:
              local-domains: [example.test]
              trusted: [198.51.100.2/32]
            """;
    static final String BANS = """
            bans:
              threshold: 20.0
              subnet-min-hosts: 3
              durations: [1h]
              scanners: {enabled: false}
            """;
    /** With {@link #NETWORKS} and {@link #BANS} unless a test gives its own {@code networks:} or {@code bans:}. */
    static final String BASE = """
            limits:
              host:
                connections: []
                messages: []
                recipients: [{window: 1m, max: 200}]
              subnet: {connections: [], messages: [], recipients: []}
              sasl-user:
                messages: [{window: 1h, max: 2}]
                recipients: [{window: 1h, max: 500}]
            scoring:
              half-life: 1h
              subnet-factor: 3.0
              weights: {pregreet: 8.0, relay-denied: 4.0, auth-failure: 3.0, limit-exceeded: 1.0}
              thresholds: {tag: 3.0, defer: 8.0, reject: 15.0}
            """;

    void start(String extra) throws Exception {
        PostwardenConfig c = ConfigLoader.load("test", BASE + (extra.contains("networks:") ? "" : NETWORKS)
                + (extra.contains("bans:") ? "" : BANS) + extra);
        Rules rules = new Rules(c);
        PostwardenMetrics metrics = new PostwardenMetrics(registry);
        SignalRecorder recorder = new SignalRecorder(metrics, time, null, new BanListener() {
            @Override
            public void refused(ClientKey key, String reason, String detail) {
                refused.add(key.cidr() + " " + reason);
            }

            @Override
            public void userAlert(String user, double score, int sources) {
                alerts.add(user + " " + sources);
            }
        });
        engine = new DecisionEngine(rules, new MemoryReputationStore(rules.storeSettings(), time), metrics)
                .withSignals(recorder);
    }

    static InetAddress ip(String s) {
        return Cidr.parseAddress(s);
    }

    MailEvent.Builder event(SmtpStage stage, String ip) {
        return MailEvent.builder(stage).source("policy").client(ip).clientPort(port).helo("mail.client.test")
                .sender("a@client.test");
    }

    Decision rcpt(String ip) {
        port++;
        return engine.decideNow(event(SmtpStage.RCPT, ip).recipient("u@example.test").build());
    }

    Decision connect(String ip, int serverPort, String daemonName) {
        port++;
        return engine.decideNow(MailEvent.builder(SmtpStage.CONNECT).source("milter").client(ip).clientPort(port)
                .serverPort(serverPort).daemonName(daemonName).build());
    }

    /** One message from {@code ip}, as the milter reports its end (a queue id of its own). */
    Decision message(String ip) {
        port++;
        queue++;
        return engine.decideNow(MailEvent.builder(SmtpStage.END_OF_MESSAGE).source("milter").client(ip)
                .clientPort(port).sender("a@client.test").queueId("Q" + queue).recipientCount(1).build());
    }

    void sig(Signal s, String ip, int times) {
        for (int i = 0; i < times; i++) {
            engine.observe(LogSignal.of(s, ip(ip), "test"));
        }
    }

    /** Three attack kinds from three hosts of the /24: a PREGREET bot, a relay prober, a SASL guesser (37 points). */
    void attack() {
        sig(Signal.PREGREET, NET + "10", 2);
        sig(Signal.RELAY_DENIED, NET + "11", 3);
        for (int i = 0; i < 3; i++) {
            engine.observe(new LogSignal(Signal.AUTH_FAILURE, ip(NET + "12"), "alice", 1, "guess", ""));
        }
    }

    ClientKey subnet() {
        return ClientKey.of(ip(NET + "0"), KeyLevel.SUBNET, 48);
    }

    double score(String ip, KeyLevel level) {
        return engine.store().score(ClientKey.of(ip(ip), level, 48));
    }

    @Test
    void oneHostsThreeThousandRefusedRecipientsChangeNothingForItsNeighbours() throws Exception {
        start("");
        int connection = 40000;
        for (int i = 0; i < 3000; i++) {
            engine.decideNow(event(SmtpStage.RCPT, NET + "7").clientPort(connection)
                    .recipient("u" + i + "@example.test").build());
        }
        assertTrue(score(NET + "7", KeyLevel.HOST) > 2700, "its own score took every refusal");
        assertEquals(20.0, engine.store().score(subnet()), 0.01, "its /24 got at most its ban threshold");
        assertEquals(1, NetworkScores.contributors(engine.store(), subnet()));
        Decision neighbour = rcpt(NET + "8");
        assertEquals(Action.PASS, neighbour.verdict().action(), neighbour.findings().toString());
        assertEquals(Action.PASS, connect(NET + "9", 25, "smtpd").verdict().action(), "nor at milter connect");
        assertEquals(Action.REJECT, rcpt(NET + "7").verdict().action(), "the host itself is refused");
    }

    @Test
    void aNetworkWithACrowdDefersAFirstTimeSenderButNeverRejects() throws Exception {
        start("");
        attack();
        sig(Signal.PREGREET, NET + "13", 2);
        assertEquals(53.0, engine.store().score(subnet()), 0.01, "16 + 12 + 9 + 16: above the reject level (45)");
        assertEquals(4, NetworkScores.contributors(engine.store(), subnet()));
        assertTrue(engine.store().activeBans().isEmpty(), "no host reached its ban threshold, no /24 ban (60)");
        Decision first = rcpt(NET + "50");
        Verdict.Defer defer = assertInstanceOf(Verdict.Defer.class, first.verdict());
        assertEquals("450", defer.code());
        assertTrue(defer.temporaryOnly(), "a network-level refusal without a ban stays temporary");
        assertEquals(ScoreCheck.NETWORK_REASON, first.primaryReason());
        assertTrue(defer.text().contains("for subnet 198.51.100.0/24 (4 hosts contributed, each at most 20.0)"),
                defer.text());
        Decision atConnect = connect(NET + "51", 25, "smtpd");
        assertEquals(Action.DEFER, atConnect.verdict().action(), "at milter connect too, as a 4xx");
    }

    @Test
    void twoHostsAtTheirCapAreNoCrowd() throws Exception {
        start("");
        sig(Signal.PREGREET, NET + "10", 5);
        sig(Signal.PREGREET, NET + "11", 5);
        assertEquals(40.0, engine.store().score(subnet()), 0.01, "each host adds at most 20");
        Decision d = rcpt(NET + "50");
        assertEquals(Action.PASS, d.verdict().action(), d.findings().toString());
        assertTrue(d.findings().stream().anyMatch(f -> f.reason().equals("network-crowd")
                && f.detail().contains("2 hosts contributed, its score counts from 3")), d.findings().toString());
    }

    @Test
    void theLegitimateClientsOfAnAttackedNetworkGetThroughAtOnce() throws Exception {
        start("");
        for (int i = 0; i < 5; i++) {
            assertEquals(Action.PASS, message(NET + "70").verdict().action());
        }
        attack();
        assertEquals(Action.DEFER, rcpt(NET + "50").verdict().action(), "a first-time sender is deferred");
        assertEquals(Action.PASS, rcpt(NET + "70").verdict().action(), "a sender with a clean history is not");
        assertEquals(Action.PASS, connect(NET + "70", 25, "smtpd").verdict().action());
        assertEquals(Action.PASS, engine.decideNow(event(SmtpStage.RCPT, TRUSTED).recipient("x@elsewhere.test")
                .build()).verdict().action(), "the trusted host relays");
        assertEquals(Action.PASS, connect(TRUSTED, 25, "smtpd").verdict().action());
        assertEquals(Action.PASS, connect(NET + "80", 587, "smtpd").verdict().action(), "submission before AUTH");
        assertEquals(Action.PASS, connect(NET + "81", 10587, "ORIGINATING").verdict().action(),
                "a submission service named ORIGINATING");
        assertEquals(Action.PASS, engine.decideNow(event(SmtpStage.RCPT, NET + "80").sasl("alice")
                .recipient("x@elsewhere.test").build()).verdict().action(), "the authenticated user");
    }

    @Test
    void aCleanHistoryNeedsEnoughAcceptedMessagesAndNoOwnScoreAtTag() throws Exception {
        start("");
        for (int i = 0; i < 4; i++) {
            message(NET + "70");
        }
        attack();
        assertEquals(Action.DEFER, rcpt(NET + "70").verdict().action(), "4 accepted messages are not enough");
        assertEquals(Action.DEFER, message(NET + "70").verdict().action(), "a deferred message is not accepted");
        assertEquals(Action.DEFER, rcpt(NET + "70").verdict().action());
        time.advance(Duration.ofHours(12)); // the attack decays away (37 / 4096)
        assertEquals(Action.PASS, message(NET + "70").verdict().action());
        attack();
        assertEquals(Action.PASS, rcpt(NET + "70").verdict().action(), "5 accepted messages");
        // its own score at the tag threshold spoils it for store.idle-expiry (2d), even once the score has decayed
        sig(Signal.PREGREET, NET + "70", 1);
        time.advance(Duration.ofHours(12));
        message(NET + "70");
        attack();
        assertEquals(Action.DEFER, rcpt(NET + "70").verdict().action(), "its own score was at tag 12h ago");
        time.advance(Duration.ofHours(36).minusMinutes(1));
        message(NET + "70");
        attack();
        assertEquals(Action.DEFER, rcpt(NET + "70").verdict().action(), "a minute short of 2d ago");
        time.advance(Duration.ofMinutes(2));
        attack();
        assertEquals(Action.PASS, rcpt(NET + "70").verdict().action(), "2d ago: clean again");
        NetworkScores.HistoryView h = NetworkScores.history(engine.store(), engine.rules(),
                ClientKey.of(ip(NET + "70"), KeyLevel.HOST, 48));
        assertEquals(7, h.acceptedMessages());
        assertTrue(h.clean());
    }

    @Test
    void aHostSilentForTheIdleExpiryStartsOver() throws Exception {
        start("");
        for (int i = 0; i < 5; i++) {
            message(NET + "71");
        }
        time.advance(Duration.ofDays(2).plusMinutes(1));
        ((MemoryReputationStore) engine.store()).cleanUp();
        attack();
        assertEquals(Action.DEFER, rcpt(NET + "71").verdict().action(), "its history was forgotten");
        assertNull(NetworkScores.history(engine.store(), engine.rules(),
                ClientKey.of(ip(NET + "71"), KeyLevel.HOST, 48)));
    }

    @Test
    void aNetworkBanRefusesFirstTimeSendersButNotTheHostsJudgedOnTheirOwn() throws Exception {
        start("");
        for (int i = 0; i < 5; i++) {
            message(NET + "70");
        }
        engine.ban(Cidr.parse(NET + "0/24"), Duration.ofHours(1), "admin", "test");
        assertEquals(Action.REJECT, rcpt(NET + "50").verdict().action(), "a ban is a ban: 5xx");
        assertEquals(Action.PASS, rcpt(NET + "70").verdict().action(), "clean history");
        assertEquals(Action.PASS, rcpt(TRUSTED).verdict().action(), "trusted");
        assertEquals(Action.PASS, connect(NET + "80", 465, "smtpd").verdict().action(), "submission before AUTH");
        assertEquals(Action.PASS, engine.decideNow(event(SmtpStage.MAIL, NET + "80").sasl("alice").build())
                .verdict().action(), "authenticated");
        engine.ban(Cidr.parse(NET + "80/32"), Duration.ofHours(1), "admin", "test");
        assertEquals(Action.REJECT, connect(NET + "80", 587, "smtpd").verdict().action(),
                "a ban of that very host refuses submission at connect");
    }

    @Test
    void aTrustedHostIsNeverDeferredOrRejectedByScoresOrBans() throws Exception {
        start("bans: {threshold: 20.0, durations: [1h], scanners: {enabled: false}, permanent: [198.51.100.0/24]}\n");
        sig(Signal.PREGREET, TRUSTED, 10);
        assertTrue(score(TRUSTED, KeyLevel.HOST) >= 80, "scored (explain shows it)");
        assertTrue(engine.store().activeBan(ClientKey.of(ip(TRUSTED), KeyLevel.HOST, 48)).isEmpty(), "never banned");
        engine.ban(Cidr.parse(TRUSTED), Duration.ofHours(1), "admin", "test");
        assertEquals(Action.PASS, connect(TRUSTED, 25, "smtpd").verdict().action());
        assertEquals(Action.PASS, rcpt(TRUSTED).verdict().action());
        assertEquals(Action.REJECT, rcpt(NET + "50").verdict().action(), "bans.permanent still refuses the others");
    }

    @Test
    void aNetworkHoldingATrustedHostIsNeverBanned() throws Exception {
        start("");
        sig(Signal.PREGREET, TRUSTED, 3);
        assertTrue(refused.contains(TRUSTED + "/32 trusted"), "the trusted host is not banned: " + refused);
        for (String h : List.of("10", "11", "12", "13")) {
            sig(Signal.PREGREET, NET + h, 3);
        }
        assertTrue(engine.store().score(subnet()) >= 60);
        assertTrue(engine.store().activeBan(subnet()).isEmpty(), "it holds 198.51.100.2, of networks.trusted");
        assertTrue(refused.contains("198.51.100.0/24 trusted"), refused.toString());
        assertEquals(4, engine.store().activeBans().size(), "its other hosts are banned, each on its own");
        assertTrue(registry.counter("postwarden.ban.refusals", "reason", "trusted").count() >= 2);
    }

    @Test
    void anAuthenticatedSessionIsJudgedByTheUsersOwnSending() throws Exception {
        start("");
        attack();
        sig(Signal.PREGREET, NET + "13", 2);
        sig(Signal.PREGREET, NET + "60", 2);
        assertTrue(score(NET + "60", KeyLevel.HOST) >= 15, "its address is over the reject level");
        for (int i = 0; i < 250; i++) {
            Decision d = engine.decideNow(event(SmtpStage.RCPT, NET + "60").clientPort(50000).sasl("bob")
                    .recipient("r" + i + "@elsewhere.test").build());
            assertEquals(Action.PASS, d.verdict().action(), "RCPT " + i + ": not the address's limits or scores: "
                    + d.findings());
        }
        // the user's own quota: 2 messages per hour
        for (int i = 0; i < 3; i++) {
            queue++;
            engine.decideNow(event(SmtpStage.END_OF_MESSAGE, NET + "60").clientPort(50000).sasl("bob")
                    .queueId("B" + queue).recipientCount(1).build());
        }
        double host = score(NET + "60", KeyLevel.HOST);
        double net = engine.store().score(subnet());
        Decision over = engine.decideNow(event(SmtpStage.END_OF_MESSAGE, NET + "60").clientPort(50001).sasl("bob")
                .queueId("B-last").recipientCount(1).build());
        assertEquals(Action.DEFER, over.verdict().action());
        assertEquals("messages", over.primaryReason());
        assertEquals(host, score(NET + "60", KeyLevel.HOST), 1e-6, "a quota overrun scores the user...");
        assertEquals(net, engine.store().score(subnet()), 1e-6, "...not the address or its network");
        assertTrue(NetworkScores.userSendingScore(engine.store(), "bob") >= 1.0);
    }

    @Test
    void failedLoginsAgainstAUserNeverRefuseItsCorrectLoginsFromElsewhere() throws Exception {
        start("bans: {threshold: 20.0, durations: [1h], scanners: {enabled: false}, user-alert-threshold: 30.0}\n");
        for (int i = 0; i < 12; i++) {
            engine.observe(new LogSignal(Signal.AUTH_FAILURE, ip(NET + (20 + i % 4)), "carol", 1, "guess", ""));
        }
        assertEquals(List.of("carol 4"), alerts, "an alert, from 4 addresses");
        assertTrue(score(NET + "20", KeyLevel.HOST) >= 9, "the guessing addresses are scored");
        assertEquals(Action.PASS, connect(NET + "90", 587, "smtpd").verdict().action());
        assertEquals(Action.PASS, engine.decideNow(event(SmtpStage.RCPT, NET + "90").sasl("carol")
                .recipient("x@elsewhere.test").build()).verdict().action(), "nor the mail it sends once logged in");
        for (int i = 0; i < 8; i++) {
            engine.observe(new LogSignal(Signal.AUTH_FAILURE, ip(NET + "20"), "carol", 1, "guess", ""));
        }
        assertTrue(engine.store().activeBan(ClientKey.of(ip(NET + "20"), KeyLevel.HOST, 48)).isPresent(),
                "a guessing address may be banned");
        assertEquals(Action.REJECT, connect(NET + "20", 587, "smtpd").verdict().action());
        assertEquals(Action.PASS, connect(NET + "91", 587, "smtpd").verdict().action(), "the user elsewhere is not");
    }

    @Test
    void submissionBeforeAuthIsRefusedOnlyForABanOfThatVeryHost() throws Exception {
        start("milter: {max-concurrent-per-client: 1}\n");
        sig(Signal.PREGREET, NET + "30", 2);
        attack();
        assertEquals(Action.REJECT, connect(NET + "30", 25, "smtpd").verdict().action(), "its own score, on port 25");
        assertEquals(Action.PASS, connect(NET + "30", 587, "smtpd").verdict().action(), "not on submission");
        assertEquals(Action.PASS, engine.decideNow(MailEvent.builder(SmtpStage.HELO).source("milter")
                .client(NET + "30").clientPort(port).helo("laptop").serverPort(587).build()).verdict().action(),
                "nor at its HELO (which is not judged there)");
        engine.connectionOpened(ip(NET + "31"));
        engine.connectionOpened(ip(NET + "31"));
        assertEquals("concurrent", connect(NET + "31", 25, "smtpd").primaryReason(), "concurrency on port 25");
        assertEquals(Action.PASS, connect(NET + "31", 587, "smtpd").verdict().action(), "not on submission");
        Decision unauthRcpt = engine.decideNow(event(SmtpStage.RCPT, NET + "30").serverPort(587)
                .recipient("x@example.test").build());
        assertEquals(Action.REJECT, unauthRcpt.verdict().action(), "without AUTH, its RCPT is judged as usual");
    }

    @Test
    void ipv6NetworksCountTheirSlash64sAsHosts() throws Exception {
        start("store: {ipv6-wide-prefix: 48}\n");
        // many addresses of one /64 are one contributor to its /56 (the first of networks.ipv6-tiers)
        for (int i = 1; i <= 6; i++) {
            sig(Signal.PREGREET, "2001:db8:7:1::" + i, 1);
        }
        ClientKey slash56 = ClientKey.of(ip("2001:db8:7::"), KeyLevel.WIDE, 56);
        ClientKey slash48 = ClientKey.of(ip("2001:db8:7::"), KeyLevel.WIDE, 48);
        assertEquals(1, NetworkScores.contributors(engine.store(), slash56));
        assertEquals(20.0, engine.store().score(slash56), 0.01, "the /64 adds at most its ban threshold");
        assertEquals(Action.PASS, rcpt("2001:db8:7:9::1").verdict().action(), "one /64 alone");
        sig(Signal.PREGREET, "2001:db8:7:2::1", 2);
        sig(Signal.PREGREET, "2001:db8:7:3::1", 2);
        assertEquals(3, NetworkScores.contributors(engine.store(), slash56));
        assertEquals(1, NetworkScores.contributors(engine.store(), slash48), "the /48 counts /56s: one");
        Decision d = rcpt("2001:db8:7:9::1");
        assertEquals(Action.DEFER, d.verdict().action(), d.findings().toString());
        assertEquals(ScoreCheck.NETWORK_REASON, d.primaryReason());
        assertTrue(d.verdict().toString().contains("2001:db8:7::/56"), d.verdict().toString());
        assertEquals(Action.REJECT, rcpt("2001:db8:7:1::99").verdict().action(),
                "the /64 is the host: 48 >= 15 x 3");
    }

    @Test
    void aDryRunScoreCheckOnlyWarnsAboutTheNetwork() throws Exception {
        start("checks: {score: {enabled: true, dry-run: true}}\n");
        attack();
        Decision d = rcpt(NET + "50");
        assertEquals(Action.WARN, d.verdict().action());
        assertEquals(Action.DEFER, d.wouldHave().action());
        assertFalse(d.findings().isEmpty());
    }
}
