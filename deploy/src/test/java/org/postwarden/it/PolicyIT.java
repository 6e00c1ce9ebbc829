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

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * End to end: a real Postfix asks the real daemon (a separate JVM) through {@code check_policy_service} in
 * {@code smtpd_recipient_restrictions} (before {@code reject_unauth_destination}) and
 * {@code smtpd_end_of_data_restrictions}; swaks is the client. Clients are distinct 127.0.0.x addresses.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PolicyIT {
    static final String CONFIG = """
            networks:
              local-domains: [example.test]
              trusted: [127.0.0.2/32]
            limits:
              host:
                connections: [{window: 1m, max: 100}]
                messages: [{window: 1h, max: 100}]
                recipients: [{window: 1h, max: 3}]
              subnet: {connections: [], messages: [], recipients: []}
            scoring:
              subnet-factor: 1000
            """;
    static Path dir;
    static DaemonProcess daemon;
    static PostfixInstance postfix;

    @BeforeAll
    static void start() throws Exception {
        Requirements.requireRoot();
        Requirements.require("postfix", "postfix");
        Requirements.require("swaks", "swaks");
        dir = Files.createTempDirectory("pw-policy-it");
        // the daemon first: its policy port (bound on port 0) goes into main.cf
        daemon = DaemonProcess.start(dir, CONFIG);
        postfix = PostfixInstance.builder()
                .mainCf("smtpd_relay_restrictions", relayRestrictions())
                .mainCf("smtpd_end_of_data_restrictions", policy())
                .start();
    }

    static String policy() {
        return "check_policy_service { inet:127.0.0.1:" + daemon.policyPort() + ", timeout=10s, default_action=DUNNO }";
    }

    static String relayRestrictions() {
        return policy() + ", permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination";
    }

    /** Restarts the daemon, which may get another policy port, and points Postfix at the port it got. */
    static void restartDaemon() throws Exception {
        daemon.restart();
        postfix.postconf("-e", "smtpd_relay_restrictions=" + relayRestrictions(),
                "smtpd_end_of_data_restrictions=" + policy());
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

    static Swaks.Result send(String client, String... rcpts) {
        return Swaks.to(rcpts).port(postfix.smtpdPort()).localInterface(client).ehlo("mail.client.test")
                .from("sender@client.test").timeout(Duration.ofSeconds(20)).send();
    }

    @Test
    @Order(1)
    void normalMailIsDelivered() {
        Swaks.Result r = send("127.0.0.10", "alice@example.test");
        assertEquals(0, r.exitCode(), r.transcript());
        assertEquals(List.of(250), r.rcptReplies());
        assertTrue(postfix.awaitDelivered(1, Duration.ofSeconds(20)).stream()
                .anyMatch(m -> m.recipients().contains("alice@example.test")));
    }

    @Test
    @Order(2)
    void recipientRateIsLimitedPerClientOnly() throws Exception {
        Swaks.Result r = send("127.0.0.11", "r1@example.test", "r2@example.test", "r3@example.test",
                "r4@example.test", "r5@example.test");
        assertEquals(List.of(250, 250, 250, 450, 450), r.rcptReplies(), r.transcript());
        assertEquals(0, r.exitCode(), "the message with its 3 accepted recipients is delivered:\n" + r.transcript());
        assertTrue(r.transcript().contains("Recipient address rejected: rate limit: more than 3 recipients per 1h per host (127.0.0.11/32)"),
                r.transcript());
        Swaks.Result other = send("127.0.0.12", "x@example.test");
        assertEquals(List.of(250), other.rcptReplies(), "another client is unaffected:\n" + other.transcript());
        assertTrue(daemon.metric("postwarden_decisions_total", "action=\"defer\"", "reason=\"recipients\"") >= 2);
        assertTrue(daemon.metric("postwarden_decisions_total", "stage=\"end-of-message\"") >= 1,
                "end-of-data requests reach the daemon");
    }

    @Test
    @Order(3)
    void relayAttemptIsRefusedByPostfixAndRecordedAsASignal() throws Exception {
        double before = daemon.metric("postwarden_signals_total", "signal=\"relay-attempt\"");
        Swaks.Result r = send("127.0.0.13", "victim@elsewhere.test");
        assertEquals(List.of(554), r.rcptReplies(), r.transcript());
        assertTrue(r.transcript().contains("Relay access denied"), r.transcript());
        assertEquals(before + 1, daemon.metric("postwarden_signals_total", "signal=\"relay-attempt\""));
        postfix.awaitLog(Pattern.compile("NOQUEUE: reject: RCPT from .*127\\.0\\.0\\.13.*Relay access denied"),
                Duration.ofSeconds(10));
    }

    @Test
    @Order(4)
    void countersSurviveARestart() throws Exception {
        int exit = daemon.stop();
        assertTrue(exit == 0 || exit == 143, "clean exit on SIGTERM (143 = the JVM's 128+SIGTERM):\n" + daemon.log());
        assertTrue(daemon.log().contains("postwarden stopped"), "graceful shutdown ran:\n" + daemon.log());
        assertTrue(Files.exists(dir.resolve("state.snapshot")), "snapshot written on shutdown");
        restartDaemon();
        assertTrue(daemon.log().contains("restored state:"), daemon.log());
        Swaks.Result r = send("127.0.0.11", "r6@example.test");
        assertEquals(List.of(450), r.rcptReplies(), "still over its limit after the restart:\n" + r.transcript());
        Swaks.Result fresh = send("127.0.0.15", "y@example.test");
        assertEquals(List.of(250), fresh.rcptReplies(), fresh.transcript());
    }

    @Test
    @Order(5)
    void mailFlowsWhileThePolicyServerIsDown() throws Exception {
        daemon.stop();
        int before = postfix.deliveredMessages().size();
        Swaks.Result r = send("127.0.0.16", "down@example.test");
        assertEquals(List.of(250), r.rcptReplies(), r.transcript());
        postfix.awaitDelivered(before + 1, Duration.ofSeconds(30));
        postfix.awaitLog(Pattern.compile("warning: connect to 127\\.0\\.0\\.1:" + daemon.policyPort()),
                Duration.ofSeconds(10));
        restartDaemon();
    }
}
