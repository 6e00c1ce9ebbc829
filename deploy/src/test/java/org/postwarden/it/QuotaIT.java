package org.postwarden.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.postwarden.it.harness.Exec;
import org.postwarden.it.harness.PostfixInstance;
import org.postwarden.it.harness.Requirements;
import org.postwarden.it.harness.Swaks;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * End to end, issue 19 part 5: layered outbound quotas through a real Postfix with SASL (Dovecot), the policy
 * server at RCPT and end of data. {@code limits.sasl-user} allows 3 messages an hour; the domain small.test gives
 * each mailbox 1 and the whole domain a shared pool of 2; boss@other.test has an override of 5. Messages are counted
 * at end of data (a deferred one too: counting goes on), so the message over a quota is deferred there (450 4.7.1).
 * {@code ctl explain USER} says which layers apply and their counts.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class QuotaIT {
    static final String PASSWORD = "quota-secret";
    static Path dir;
    static DaemonProcess daemon;
    static PostfixInstance postfix;

    @BeforeAll
    static void start() throws Exception {
        Requirements.requireRoot();
        Requirements.require("postfix", "postfix");
        Requirements.require("swaks", "swaks");
        Requirements.require("dovecot", "dovecot-core");
        dir = Files.createTempDirectory("pw-quota-it");
        daemon = DaemonProcess.start(dir, """
                milter: {enabled: false}
                networks: {local-domains: [example.test], trusted: [127.0.0.2/32]}
                limits:
                  sasl-user: {messages: [{window: 1h, max: 3}], recipients: []}
                  domains:
                    - {domain: small.test, mailbox: {messages: [{window: 1h, max: 1}], recipients: []},
                       pool: {messages: [{window: 1h, max: 2}], recipients: []}}
                  users:
                    - {user: boss@other.test, messages: [{window: 1h, max: 5}], recipients: []}
                outbound: {enabled: false}
                """);
        String policy = "check_policy_service { inet:127.0.0.1:" + daemon.policyPort()
                + ", timeout=10s, default_action=DUNNO }";
        postfix = PostfixInstance.builder()
                .saslUser("a1@small.test", PASSWORD)
                .saslUser("a2@small.test", PASSWORD)
                .saslUser("dave@other.test", PASSWORD)
                .saslUser("boss@other.test", PASSWORD)
                .mainCf("smtpd_relay_restrictions", policy
                        + ", permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination")
                .mainCf("smtpd_end_of_data_restrictions", policy)
                .start();
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

    static Swaks.Result submit(String user) {
        return Swaks.to("someone@example.test").port(postfix.submissionPort()).auth(user, PASSWORD)
                .ehlo("desktop-" + user.replace('@', '-')).from(user).timeout(Duration.ofSeconds(30)).send();
    }

    static Exec.Result ctl(String... args) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", System.getProperty("postwarden.jar", "target/postwarden.jar"), "ctl",
                "--url", "http://127.0.0.1:" + daemon.httpPort(),
                "--token-file", dir.resolve("state/admin.token").toString()));
        cmd.addAll(List.of(args));
        return Exec.run(Duration.ofSeconds(60), cmd);
    }

    static void assertDeferred(Swaks.Result r, String text) {
        assertTrue(!r.ok() && r.contains("450 4.7.1"), "deferred:\n" + r.transcript());
        assertTrue(r.contains(text), "naming " + text + ":\n" + r.transcript());
    }

    @Test
    @Order(1)
    void theDomainsMailboxQuotaReplacesTheSaslUserDefault() {
        Swaks.Result first = submit("a1@small.test");
        assertTrue(first.ok(), first.transcript());
        assertDeferred(submit("a1@small.test"), "more than 1 messages per 1h per domain (user a1@small.test)");
    }

    @Test
    @Order(2)
    void theSharedPoolIsUsedUpByTheOtherMailboxes() {
        // a1's two messages (the deferred one counted too) used the domain's pool of 2
        assertDeferred(submit("a2@small.test"),
                "more than 2 messages per 1h per pool (domain small.test (user a2@small.test))");
    }

    @Test
    @Order(3)
    void aUserWithoutARuleGetsTheSaslUserDefaultAndAnOverrideItsOwn() {
        for (int i = 0; i < 3; i++) {
            Swaks.Result r = submit("dave@other.test");
            assertTrue(r.ok(), "message " + (i + 1) + " of 3:\n" + r.transcript());
        }
        assertDeferred(submit("dave@other.test"), "more than 3 messages per 1h per sasl-user (user dave@other.test)");
        for (int i = 0; i < 5; i++) {
            Swaks.Result r = submit("boss@other.test");
            assertTrue(r.ok(), "override: message " + (i + 1) + " of 5:\n" + r.transcript());
        }
        assertDeferred(submit("boss@other.test"), "more than 5 messages per 1h per user (user boss@other.test)");
        assertTrue(postfix.awaitDelivered(9, Duration.ofSeconds(60)).size() >= 9, "the accepted ones delivered");
    }

    @Test
    @Order(4)
    void ctlExplainSaysWhichLayersApplyAndTheirCounts() {
        Exec.Result r = ctl("explain", "a2@small.test");
        assertEquals(0, r.exitCode(), r.describe());
        String out = r.output();
        assertTrue(out.matches("(?s).*domain \\(limits\\.domains\\[0]\\.mailbox\\)\\s+messages\\s+1h\\s+1\\s+1\\b.*"),
                "a2's own count 1 against the mailbox quota 1:\n" + out);
        assertTrue(out.matches("(?s).*pool \\(limits\\.domains\\[0]\\.pool\\)\\s+messages\\s+1h\\s+3\\s+2\\s+EXCEEDED.*"),
                "the pool's 3 (a1's 2, a2's 1) against 2:\n" + out);
        Exec.Result boss = ctl("explain", "boss@other.test");
        assertTrue(boss.output().matches("(?s).*user \\(limits\\.users\\[0]\\)\\s+messages\\s+1h\\s+6\\s+5\\s+EXCEEDED.*"),
                boss.output());
        Exec.Result dave = ctl("explain", "dave@other.test");
        assertTrue(dave.output().matches("(?s).*sasl-user \\(limits\\.sasl-user\\)\\s+messages\\s+1h\\s+4\\s+3\\s+EXCEEDED.*"),
                dave.output());
    }
}
