package org.postwarden.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postwarden.it.harness.DovecotImap;
import org.postwarden.it.harness.PostfixInstance;
import org.postwarden.it.harness.Requirements;
import org.postwarden.it.harness.Swaks;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * End to end, issue 15: a real Dovecot IMAP server (Debian dovecot-core, dovecot-imapd) asks the real daemon's
 * auth-policy listener before and after each login; a real Postfix asks its policy server at RCPT. Clients log in
 * from distinct 127.0.x.y addresses (all outside networks.trusted but for 127.0.0.1, the "webmail").
 *
 * <p>The daemon refuses by bans, not by the decaying score ({@code scoring.thresholds.reject: 0}): a score of
 * exactly the threshold decays below it a moment later, a ban does not. A /24 ban needs 10 hosts here, so the
 * spraying run is refused as spraying, not by the existing /24 crowd ban of the log side.
 */
class AuthPolicyIT {
    static final Duration WAIT = Duration.ofSeconds(30);
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final ObjectMapper JSON = new ObjectMapper();
    static Path dir;
    static DaemonProcess daemon;
    static DovecotImap dovecot;
    static PostfixInstance postfix;

    static String config() {
        return """
                networks: {local-domains: [example.test], trusted: [127.0.0.1/32]}
                scoring:
                  thresholds: {tag: 3.0, defer: 8.0, reject: 0.0}
                bans: {threshold: 20.0, subnet-min-hosts: 10, durations: [1h], scanners: {enabled: false}}
                auth-policy:
                  enabled: true
                  listen: 127.0.0.1:0
                  tarpit: {after-failures: 3, window: 10m, initial-delay: 1s, max-delay: 2s}
                """;
    }

    @BeforeAll
    static void start() throws Exception {
        Requirements.requireRoot();
        Requirements.require("postfix", "postfix");
        Requirements.require("swaks", "swaks");
        Requirements.require("dovecot", "dovecot-core");
        Requirements.require("/usr/lib/dovecot/imap-login", "dovecot-imapd");
        dir = Files.createTempDirectory("pw-auth-it");
        // Dovecot's auth process (user dovecot) reads the users file below it
        Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        daemon = DaemonProcess.start(dir.resolve("daemon"), config());
        int port = daemon.port("auth-policy");
        Map<String, String> users = new LinkedHashMap<>();
        for (String u : List.of("alice", "bob", "carol", "dave", "erin")) {
            users.put(u, u + "-pass");
        }
        dovecot = DovecotImap.start(dir.resolve("dovecot"), users, "http://127.0.0.1:" + port + "/", WAIT);
        String policy = "check_policy_service { inet:127.0.0.1:" + daemon.policyPort()
                + ", timeout=10s, default_action=DUNNO }";
        postfix = PostfixInstance.builder()
                .mainCf("smtpd_recipient_restrictions", policy + ", permit_mynetworks, reject_unauth_destination")
                .start();
    }

    @AfterAll
    static void stop() throws Exception {
        if (postfix != null) {
            postfix.close();
        }
        if (dovecot != null) {
            dovecot.close();
        }
        if (daemon != null) {
            daemon.stop();
        }
    }

    static double metric(String name, String... labels) {
        try {
            return daemon.metric(name, labels);
        } catch (IOException e) {
            return -1;
        }
    }

    static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + WAIT + ": " + what + "\ndaemon log:\n" + daemon.log()
                        + "\ndovecot log:\n" + dovecot.logText());
            }
            Thread.sleep(100);
        }
    }

    static JsonNode admin(String path, String postBody) throws Exception {
        String token = Files.readString(dir.resolve("daemon/state/admin.token")).trim();
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + daemon.httpPort() + path))
                .header("Authorization", "Bearer " + token).timeout(Duration.ofSeconds(20));
        b = postBody != null ? b.header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(postBody)) : b.GET();
        HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        assertTrue(r.statusCode() / 100 == 2, r.statusCode() + " " + r.body());
        return JSON.readTree(r.body());
    }

    static boolean ok(String reply) {
        return reply.startsWith("a OK");
    }

    @Test
    void theShippedDovecotSnippetsAreValidDovecotConfiguration() throws Exception {
        Path deploy = Path.of("").toAbsolutePath();
        for (Path snippet : List.of(deploy.resolve("dovecot/95-postwarden-auth-policy.conf"),
                deploy.resolve("docker-mailserver/dovecot.cf"))) {
            Path conf = dir.resolve("check-" + snippet.getFileName() + ".conf");
            Files.writeString(conf, "protocols = imap\nbase_dir = " + dir.resolve("check-run") + "\n!include "
                    + snippet + "\n");
            org.postwarden.it.harness.Exec.Result r = org.postwarden.it.harness.Exec.run(Duration.ofSeconds(15),
                    "doveconf", "-c", conf.toString(), "-n");
            assertTrue(r.ok(), snippet + ": " + r.describe());
            assertTrue(r.output().contains("auth_policy_server_url = http://127.0.0.1:10036/"), r.describe());
        }
    }

    @Test
    void aGuesserIsDelayedThenRefusedBeforeThePasswordCheckAndThenRefusedAtRcpt() throws Exception {
        String guesser = "127.0.0.10";
        double tarpitBefore = metric("postwarden_auth_policy_requests_total", "outcome=\"tarpit\"");
        for (int i = 1; i <= 7; i++) {
            String r = dovecot.login(guesser, null, "alice", "guess" + i);
            assertFalse(ok(r), r);
        }
        assertTrue(metric("postwarden_auth_policy_requests_total", "outcome=\"tarpit\"") > tarpitBefore,
                "delayed from the 3rd failure\n" + daemon.log());
        // seven failures (3 points each) ban the address: now even the right password is refused unchecked
        await(() -> daemon.log().contains("banned host 127.0.0.10/32"), "the ban");
        String right = dovecot.login(guesser, null, "alice", "alice-pass");
        assertFalse(ok(right), right);
        await(() -> dovecot.logText().contains("Authentication failure due to policy server refusal"),
                "Dovecot's log names the policy refusal");
        assertTrue(metric("postwarden_auth_policy_requests_total", "command=\"allow\"", "outcome=\"reject\"",
                "reason=\"banned\"") >= 1);
        // and the same address is refused at RCPT by the policy server
        Swaks.Result smtp = Swaks.to("someone@example.test").port(postfix.smtpdPort()).localInterface(guesser)
                .ehlo("laptop.client.test").from("x@client.test").send();
        assertEquals(List.of(550), smtp.rcptReplies(), smtp.transcript());
    }

    @Test
    void aDeviceRetryingOneStalePasswordDoesNotGetItsAddressRefused() throws Exception {
        String office = "127.0.0.20";
        for (int i = 0; i < 20; i++) {
            String r = dovecot.login(office, null, "bob", "last-years-password");
            assertFalse(ok(r), r);
        }
        String r = dovecot.login(office, null, "bob", "bob-pass");
        assertTrue(ok(r), "the office address stays open: " + r + "\n" + daemon.log());
        assertTrue(metric("postwarden_auth_policy_stale_passwords_total") >= 19);
        JsonNode explain = admin("/admin/explain?user=bob", null);
        assertTrue(explain.path("logins").path("stale").toString().contains("stale password from a device at "
                + office), explain.toString());
        assertFalse(daemon.log().contains("from " + office + ":"), "never delayed or refused:\n" + daemon.log());
    }

    @Test
    void aKnownDeviceIsNeverDelayedByItsUsersTypos() throws Exception {
        String home = "127.0.0.30";
        assertTrue(ok(dovecot.login(home, null, "dave", "dave-pass")));
        for (int i = 0; i < 5; i++) {
            assertFalse(ok(dovecot.login(home, null, "dave", "typo" + i)));
        }
        String r = dovecot.login(home, null, "dave", "dave-pass");
        assertTrue(ok(r), r);
        assertFalse(daemon.log().contains("login of dave from " + home), "never delayed:\n" + daemon.log());
    }

    @Test
    void passwordSprayingFromOneNetworkIsRefusedAndAlerted() throws Exception {
        // four addresses of 127.0.5.0/24, five users each, one wrong password per user
        int n = 0;
        for (int h = 1; h <= 4; h++) {
            for (int u = 0; u < 5; u++) {
                String r = dovecot.login("127.0.5." + h, null, "spray" + (n++), "Winter2026!");
                assertFalse(ok(r), r);
            }
        }
        await(() -> daemon.log().contains("password spraying from 127.0.5.0/24"), "the spraying alert");
        assertTrue(metric("postwarden_alerts_total", "kind=\"auth-spraying\"") >= 1);
        // a fifth address of the network, never seen before, is refused even with the right password
        String r = dovecot.login("127.0.5.99", null, "erin", "erin-pass");
        assertFalse(ok(r), r);
        assertTrue(metric("postwarden_auth_policy_requests_total", "reason=\"spraying\"") >= 1);
        // another network is not
        assertTrue(ok(dovecot.login("127.0.6.1", null, "erin", "erin-pass")));
    }

    @Test
    void theWebmailIsNeverRefusedButTheAddressItForwardsIsJudged() throws Exception {
        admin("/admin/bans", "{\"cidr\":\"127.0.7.7/32\",\"duration\":\"1h\",\"reason\":\"smtp abuse\"}");
        // the webmail (127.0.0.1, in login_trusted_networks) forwards its client's address with IMAP ID
        String forwarded = dovecot.login("127.0.0.1", "127.0.7.7", "carol", "carol-pass");
        assertFalse(ok(forwarded), "a banned SMTP client is refused on IMAP too: " + forwarded);
        String own = dovecot.login("127.0.0.1", null, "carol", "carol-pass");
        assertTrue(ok(own), "the webmail's own address is never refused: " + own);
    }
}
