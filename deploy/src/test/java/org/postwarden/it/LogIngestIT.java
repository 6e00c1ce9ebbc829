package org.postwarden.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.postwarden.it.harness.PostfixInstance;
import org.postwarden.it.harness.Requirements;
import org.postwarden.it.harness.Swaks;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * End to end: a real Postfix (postscreen in front of smtpd, a SASL submission port with Dovecot, and a third smtpd
 * port with only the milter) writes its {@code maillog_file}; the real daemon (a separate JVM) follows it, bans, and
 * enforces through the policy server (smtpd_client_restrictions), the milter (at connect) and the exported
 * {@code cidr:} map that postscreen reads ({@code postscreen_access_list}, {@code postfix reload} after each change).
 *
 * <p>Order of start-up: the daemon first (its ports, bound on port 0, go into main.cf and master.cf; when it restarts,
 * Postfix is pointed at its new ports), following {@code DIR/maillog}, a symbolic link
 * created once Postfix runs and points at the instance's maillog (a file that appears after start-up is read from
 * its beginning). Clients are fresh 127.0.0.x addresses (postscreen remembers clients that passed).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LogIngestIT {
    static final Duration WAIT = Duration.ofSeconds(30);
    static final String PREGREET_CLIENT = "127.0.0.61";
    static final String GUESSER = "127.0.0.71";
    static final String ALLOWLISTED = "127.0.0.81";
    static final String EXPIRING = "127.0.0.91";
    static Path dir;
    static Path cidrMap;
    static Path reloadScript;
    static DaemonProcess daemon;
    static PostfixInstance postfix;

    static String config() {
        return """
                milter: {listen: 127.0.0.1:0}
                networks: {local-domains: [example.test], trusted: [127.0.0.2/32]}
                allowlist: {clients: [%1$s/32]}
                ingest:
                  files: [%2$s/maillog]
                  poll-interval: 100ms
                  state-path: %2$s/ingest.offsets
                  max-line-share: 0.9          # one line adds at most 9 points: one PREGREET never bans
                scoring:
                  subnet-factor: 1000          # every test client is in 127.0.0.0/24: never ban that
                  weights: {pregreet: 10.0, auth-failure: 4.0}
                bans:
                  threshold: 10.0              # two PREGREETs (9 each), or three wrong passwords
                  durations: [20s, 1d]         # short first bans, so the expiry is seen within the test
                  scanners: {enabled: false}   # no DNS here
                  export:
                    cidr-map: %2$s/bans.cidr
                    min-interval: 1s
                    reload-command: [/bin/sh, %2$s/reload.sh]
                """.formatted(ALLOWLISTED, dir);
    }

    @BeforeAll
    static void start() throws Exception {
        Requirements.requireRoot();
        Requirements.require("postfix", "postfix");
        Requirements.require("swaks", "swaks");
        Requirements.require("dovecot", "dovecot-core");
        dir = Files.createTempDirectory("pw-ingest-it");
        cidrMap = dir.resolve("bans.cidr");
        reloadScript = dir.resolve("reload.sh");
        Files.writeString(reloadScript, "exit 0\n");
        daemon = DaemonProcess.start(dir, config());
        assertTrue(daemon.log().contains("ingest listener on"), daemon.log());
        await(() -> Files.exists(cidrMap), "the exporter writes the (empty) map at start, before Postfix reads it");
        postfix = PostfixInstance.builder()
                .postscreen(true)
                .saslUser("alice", "s3cret")
                .mainCf("postscreen_greet_wait", "2s")
                .mainCf("postscreen_greet_action", "enforce")
                .mainCf("postscreen_access_list", "permit_mynetworks, cidr:" + cidrMap)
                // the policy server for every smtpd (plain, behind postscreen, submission), at RCPT
                .mainCf("smtpd_client_restrictions", policy())
                .mainCf("milter_protocol", "6")
                .mainCf("milter_default_action", "accept")
                .smtpd("milter-smtpd", "smtpd_milters=" + milter(), "smtpd_client_restrictions=")
                .start();
        Files.writeString(reloadScript, "exec " + Requirements.which("postfix").orElseThrow() + " -c "
                + postfix.configDir() + " reload\n");
        Files.createSymbolicLink(dir.resolve("maillog"), postfix.maillog());
    }

    static String policy() {
        return "check_policy_service { inet:127.0.0.1:" + daemon.policyPort() + ", timeout=10s, default_action=DUNNO }";
    }

    static String milter() {
        return "inet:127.0.0.1:" + daemon.milterPort();
    }

    /** Points Postfix at the daemon's current ports (they may change when it restarts) and reloads it. */
    static void pointPostfixAtDaemon() {
        postfix.postconf("-e", "smtpd_client_restrictions=" + policy());
        postfix.postconf("-P", "127.0.0.1:" + postfix.smtpdPort("milter-smtpd") + "/inet/smtpd_milters=" + milter());
        postfix.reload();
    }

    @AfterAll
    static void stop() throws Exception {
        if (postfix != null) {
            postfix.close();
        }
        if (daemon != null) {
            daemon.stop();
        }
    }

    /** Polls {@code condition} (another process's doing) for at most {@link #WAIT}. */
    static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + WAIT + ": " + what + "\ndaemon log:\n" + daemon.log());
            }
            Thread.sleep(100);
        }
    }

    static String map() {
        try {
            return Files.exists(cidrMap) ? Files.readString(cidrMap) : "";
        } catch (IOException e) {
            return "";
        }
    }

    static boolean mapHas(String ip) {
        return map().lines().anyMatch(l -> l.startsWith(ip + "/32 REJECT"));
    }

    /** Talks before the greeting on the postscreen port, then waits for postscreen's {@code n}th PREGREET line. */
    static void pregreet(String client, int n) throws IOException {
        try (Socket s = new Socket()) {
            s.bind(new InetSocketAddress(client, 0));
            s.connect(new InetSocketAddress("127.0.0.1", postfix.postscreenPort()), 2000);
            s.getOutputStream().write("EHLO early.test\r\n".getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            postfix.awaitLog(Pattern.compile("PREGREET \\d+ after [\\d.]+ from \\[" + Pattern.quote(client)
                    + "\\]:\\d+: EHLO"), n, WAIT);
        }
    }

    static Swaks.Result send(int port, String client, String rcpt) {
        return Swaks.to(rcpt).port(port).localInterface(client).ehlo("mail.client.test")
                .from("sender@client.test").timeout(Duration.ofSeconds(20)).send();
    }

    static Swaks.Result submit(String client, String password) {
        return Swaks.to("someone@elsewhere.test").port(postfix.submissionPort()).localInterface(client)
                .ehlo("laptop.client.test").from("alice@example.test").auth("alice", password)
                .timeout(Duration.ofSeconds(20)).send();
    }

    @Test
    @Order(1)
    void aClientThatTalksBeforeTheGreetingIsRefusedFromItsNextConnection() throws Exception {
        pregreet(PREGREET_CLIENT, 1);
        await(() -> {
            try {
                return daemon.metric("postwarden_signals_total", "signal=\"pregreet\"") >= 1;
            } catch (IOException e) {
                return false;
            }
        }, "the daemon read the first PREGREET");
        assertEquals(0, daemon.metric("postwarden_bans_issued_total"), "one log line never bans");
        pregreet(PREGREET_CLIENT, 2);
        await(() -> mapHas(PREGREET_CLIENT), "the PREGREET client is banned and exported");
        // the policy server refuses it (smtpd, RCPT stage)
        Swaks.Result viaPolicy = send(postfix.smtpdPort(), PREGREET_CLIENT, "user@example.test");
        assertEquals(List.of(550), viaPolicy.rcptReplies(), viaPolicy.transcript());
        assertTrue(viaPolicy.contains("client network " + PREGREET_CLIENT + "/32 is banned"), viaPolicy.transcript());
        // the milter refuses it at connect
        Swaks.Result viaMilter = send(postfix.smtpdPort("milter-smtpd"), PREGREET_CLIENT, "user@example.test");
        assertTrue(viaMilter.contains("<** 554 ") && viaMilter.contains("not accepting connections"),
                viaMilter.transcript());
        postfix.awaitLog(Pattern.compile("milter-reject: CONNECT from .*\\[" + Pattern.quote(PREGREET_CLIENT)
                + "\\]: 550 5\\.7\\.1 client network .* is banned"), WAIT);
        assertTrue(postfix.deliveredMessages().isEmpty(), "nothing of it was delivered");
        assertTrue(daemon.metric("postwarden_decisions_total", "source=\"policy\"", "action=\"reject\"",
                "reason=\"ban\"") >= 1);
        assertTrue(daemon.metric("postwarden_decisions_total", "source=\"milter\"", "stage=\"connect\"",
                "action=\"reject\"", "reason=\"ban\"") >= 1);
        assertTrue(daemon.metric("postwarden_signals_total", "signal=\"pregreet\"") >= 1);
        assertTrue(daemon.metric("postwarden_log_lines_total", "source=\"file\"", "result=\"event\"") >= 1);
        // another client is served as usual
        Swaks.Result other = send(postfix.smtpdPort(), "127.0.0.62", "user@example.test");
        assertEquals(0, other.exitCode(), other.transcript());
    }

    @Test
    @Order(2)
    void repeatedWrongPasswordsOnTheSubmissionPortGetTheClientBanned() throws Exception {
        double bansBefore = daemon.metric("postwarden_bans_issued_total", "reason=\"auth-failure\"");
        for (int i = 0; i < 3; i++) {
            Swaks.Result r = submit(GUESSER, "wrong" + i);
            assertEquals(28, r.exitCode(), r.transcript());
        }
        postfix.awaitLog(Pattern.compile("\\[" + Pattern.quote(GUESSER) + "\\]: SASL PLAIN authentication failed"),
                3, WAIT);
        await(() -> mapHas(GUESSER), "the password guesser is banned and exported");
        assertEquals(bansBefore + 1, daemon.metric("postwarden_bans_issued_total", "reason=\"auth-failure\""));
        // its next session on the submission port is refused (the policy server, before any relay decision);
        // with AUTH it could not even get that far now: Dovecot delays further logins from it (auth penalty)
        Swaks.Result r = Swaks.to("user@example.test").port(postfix.submissionPort()).localInterface(GUESSER)
                .ehlo("laptop.client.test").from("alice@example.test").timeout(Duration.ofSeconds(20)).send();
        assertEquals(List.of(550), r.rcptReplies(), r.transcript());
        assertTrue(r.contains("client network " + GUESSER + "/32 is banned"), r.transcript());
    }

    @Test
    @Order(3)
    void anAllowlistedClientDoingTheSameIsNotBanned() throws Exception {
        double bansBefore = daemon.metric("postwarden_bans_issued_total");
        double signalsBefore = daemon.metric("postwarden_signals_total", "signal=\"auth-failure\"");
        for (int i = 0; i < 5; i++) {
            Swaks.Result r = submit(ALLOWLISTED, "wrong" + i);
            assertEquals(28, r.exitCode(), r.transcript());
        }
        postfix.awaitLog(Pattern.compile("\\[" + Pattern.quote(ALLOWLISTED)
                + "\\]: SASL PLAIN authentication failed"), 5, WAIT);
        await(() -> {
            try {
                return daemon.metric("postwarden_signals_total", "signal=\"auth-failure\"") >= signalsBefore + 5;
            } catch (IOException e) {
                return false;
            }
        }, "the daemon has read all five failures");
        assertEquals(bansBefore, daemon.metric("postwarden_bans_issued_total"), "no ban");
        assertFalse(map().contains(ALLOWLISTED), map());
        Swaks.Result ok = submit(ALLOWLISTED, "s3cret");
        assertEquals(0, ok.exitCode(), ok.transcript());
        postfix.awaitDelivered(2, WAIT);
    }

    @Test
    @Order(4)
    void theCidrMapHoldsTheBanForPostscreenAndLosesItOnExpiry() throws Exception {
        pregreet(EXPIRING, 1);
        pregreet(EXPIRING, 2);
        await(() -> mapHas(EXPIRING), "the ban is in the cidr map");
        String line = map().lines().filter(l -> l.startsWith(EXPIRING)).findFirst().orElseThrow();
        assertEquals(EXPIRING + "/32 REJECT banned by postwarden", line);
        postfix.awaitLog(Pattern.compile("postfix/master\\[\\d+\\]: reload"), WAIT);
        // postscreen reads the map (after the reload): the banned client is on its deny list
        long deadline = System.nanoTime() + WAIT.toNanos();
        Pattern denied = Pattern.compile("(DENY|BLACK)LISTED \\[" + Pattern.quote(EXPIRING) + "\\]");
        while (postfix.logLines(denied).isEmpty()) {
            assertTrue(System.nanoTime() < deadline, "postscreen never denylisted " + EXPIRING + ":\n"
                    + postfix.maillogText());
            try (Socket s = new Socket()) {
                s.bind(new InetSocketAddress(EXPIRING, 0));
                s.connect(new InetSocketAddress("127.0.0.1", postfix.postscreenPort()), 2000);
                s.setSoTimeout(3000);
                s.getInputStream().read();
            } catch (IOException e) {
                // dropped or timed out: the log line tells
            }
            Thread.sleep(200);
        }
        // the first ban lasts 20 s (bans.durations); then the map is rewritten without it
        await(() -> !mapHas(EXPIRING), "the expired ban leaves the map");
        assertTrue(map().startsWith("# Postfix cidr: table"), map());
        assertTrue(daemon.metric("postwarden_ban_exports_total", "target=\"reload\"", "result=\"ok\"") >= 2,
                "postfix reload ran after the writes");
    }

    @Test
    @Order(5)
    void bansAndFilePositionsSurviveARestart() throws Exception {
        int exit = daemon.stop();
        assertTrue(exit == 0 || exit == 143, daemon.log());
        assertTrue(Files.readString(dir.resolve("ingest.offsets")).contains(dir.resolve("maillog").toString()),
                "the position in the followed file was saved");
        daemon.restart();
        pointPostfixAtDaemon();
        assertTrue(daemon.log().contains("from offset"), "resumed where it left off:\n" + daemon.log());
        // the guesser's second ban (1d) or its first (20 s, possibly expired): escalate with one more wrong password
        Swaks.Result r = submit(GUESSER, "again");
        assertEquals(28, r.exitCode(), r.transcript());
        await(() -> mapHas(GUESSER), "banned again (or still) after the restart");
        assertFalse(mapHas(EXPIRING), "old lines were not read twice (the expired ban did not come back)");
    }
}
