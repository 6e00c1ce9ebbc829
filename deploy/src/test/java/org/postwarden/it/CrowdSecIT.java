package org.postwarden.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.postwarden.it.harness.PostfixInstance;
import org.postwarden.it.harness.Requirements;
import org.postwarden.it.harness.Swaks;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * End to end, issue 19 part 3: CrowdSec both ways, with Debian's real {@code crowdsec} LAPI ({@link CrowdSecLapi})
 * and a real Postfix asking the daemon through {@code check_policy_service} at connect and RCPT.
 *
 * <ul>
 * <li>bouncer: {@code cscli decisions add --ip} → within the poll interval the client is refused by Postfix (and the
 * policy server answers REJECT at CONNECT); {@code cscli decisions delete} → accepted again;</li>
 * <li>source: a Postwarden ban (admin API) shows up in {@code cscli decisions list -a -o json} with origin
 * {@code postwarden}, and does not come back as a CrowdSec ban;</li>
 * <li>LAPI down: the decision already read stays enforced, one warning, the error metric counts.</li>
 * </ul>
 * Clients are 127.0.0.x addresses outside {@code networks.trusted} (set to 127.0.0.2/32 here).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CrowdSecIT {
    static final Duration WAIT = Duration.ofSeconds(60);
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final String DECIDED = "127.0.0.66";
    static final String OWN = "127.0.0.77";
    static final String KEPT = "127.0.0.68";
    static Path dir;
    static CrowdSecLapi lapi;
    static DaemonProcess daemon;
    static PostfixInstance postfix;

    @BeforeAll
    static void start() throws Exception {
        Requirements.requireRoot();
        Requirements.require("postfix", "postfix");
        Requirements.require("swaks", "swaks");
        dir = Files.createTempDirectory("pw-crowdsec-it");
        lapi = CrowdSecLapi.start(dir.resolve("crowdsec"));
        String key = UUID.randomUUID().toString().replace("-", "");
        lapi.cscli("bouncers", "add", "postwarden-it", "--key", key);
        Files.writeString(dir.resolve("bouncer.key"), key + "\n");
        lapi.cscli("machines", "add", "postwarden-it", "--auto", "--force", "-f",
                dir.resolve("machine.yaml").toString());
        daemon = DaemonProcess.start(dir, """
                milter: {enabled: false}
                networks: {trusted: [127.0.0.2/32], local-domains: [example.test]}
                bans: {scanners: {enabled: false}}
                crowdsec:
                  lapi-url: %1$s
                  timeout: 5s
                  bouncer: {enabled: true, api-key-file: %2$s/bouncer.key, poll-interval: 1s}
                  source: {enabled: true, credentials-file: %2$s/machine.yaml, interval: 1s}
                """.formatted(lapi.url(), dir));
        String policy = "check_policy_service { inet:127.0.0.1:" + daemon.policyPort()
                + ", timeout=10s, default_action=DUNNO }";
        postfix = PostfixInstance.builder()
                .mainCf("smtpd_client_restrictions", policy)
                .mainCf("smtpd_relay_restrictions", policy
                        + ", permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination")
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
        if (lapi != null) {
            lapi.close();
        }
    }

    static Swaks.Result send(String client) {
        return Swaks.to("someone@example.test").port(postfix.smtpdPort()).localInterface(client)
                .ehlo("mail.client.test").from("sender@client.test").timeout(Duration.ofSeconds(20)).send();
    }

    static void await(Callable<Boolean> condition, String what) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.call()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + WAIT + ": " + what + "\ndaemon log:\n" + daemon.log()
                        + "\ncrowdsec log:\n" + lapi.log());
            }
            Thread.sleep(200);
        }
    }

    /** The policy server's action for {@code client} at {@code state} (asked directly, not through Postfix). */
    static String policy(String client, String state) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", daemon.policyPort()), 2000);
            s.setSoTimeout(10_000);
            s.getOutputStream().write(("request=smtpd_access_policy\nprotocol_state=" + state
                    + "\nprotocol_name=ESMTP\nclient_address=" + client + "\nclient_port=40000\n"
                    + "client_name=unknown\nhelo_name=mail.client.test\nsender=s@client.test\n"
                    + "recipient=r@example.test\ninstance=cs" + client + state + "\n\n")
                    .getBytes(StandardCharsets.US_ASCII));
            return new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII))
                    .readLine();
        }
    }

    /** A policy answer that refuses: REJECT or a 5xx code. */
    static boolean refusal(String action) {
        return action != null && action.matches("action=(REJECT|5\\d\\d)\\b.*");
    }

    static JsonNode adminBans() throws Exception {
        String token = Files.readString(dir.resolve("state/admin.token")).trim();
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                + daemon.httpPort() + "/admin/bans")).header("Authorization", "Bearer " + token)
                .timeout(Duration.ofSeconds(20)).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return JSON.readTree(r.body()).path("bans");
    }

    static JsonNode banOf(String cidr) throws Exception {
        for (JsonNode b : adminBans()) {
            if (b.path("cidr").asText().equals(cidr)) {
                return b;
            }
        }
        return null;
    }

    static void adminBan(String cidr) throws Exception {
        String token = Files.readString(dir.resolve("state/admin.token")).trim();
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                + daemon.httpPort() + "/admin/bans")).header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json").timeout(Duration.ofSeconds(20))
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(Map.of("cidr", cidr,
                        "duration", "2h", "reason", "CrowdSecIT")))).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
    }

    /** CrowdSec's active decisions on {@code ip}, from {@code cscli decisions list -a -o json}. */
    static List<JsonNode> decisions(String ip) throws IOException {
        String out = lapi.cscli("decisions", "list", "-a", "-o", "json", "--ip", ip);
        int start = out.indexOf('[');
        JsonNode alerts = start < 0 ? JSON.createArrayNode() : JSON.readTree(out.substring(start));
        List<JsonNode> found = new java.util.ArrayList<>();
        for (JsonNode a : alerts) {
            for (JsonNode d : a.path("decisions")) {
                if (d.path("value").asText().equals(ip)) {
                    found.add(d);
                }
            }
        }
        return found;
    }

    @Test
    @Order(1)
    void aLocalDecisionRefusesTheClientAndItsDeletionLiftsIt() throws Exception {
        Swaks.Result before = send(DECIDED);
        assertEquals(List.of(250), before.rcptReplies(), "not decided yet:\n" + before.transcript());

        lapi.cscli("decisions", "add", "--ip", DECIDED, "--duration", "1h", "--reason", "CrowdSecIT");
        await(() -> banOf(DECIDED + "/32") != null, "the decision on " + DECIDED + " banned within the poll");
        JsonNode ban = banOf(DECIDED + "/32");
        assertEquals("crowdsec", ban.path("reason").asText(), ban.toString());
        Duration left = Duration.between(Instant.now(), Instant.parse(ban.path("until").asText()));
        assertTrue(left.compareTo(Duration.ofMinutes(50)) > 0 && left.compareTo(Duration.ofMinutes(61)) < 0,
                "expires as CrowdSec said (1h): " + ban);

        String atConnect = policy(DECIDED, "CONNECT");
        assertTrue(refusal(atConnect), "refused at connect: " + atConnect);
        Swaks.Result refused = send(DECIDED);
        assertTrue(refused.rcptReplies().isEmpty() || refused.rcptReplies().get(0) >= 500,
                "refused by Postfix:\n" + refused.transcript());
        assertTrue(refused.transcript().contains(" 5"), refused.transcript());
        assertTrue(daemon.metric("postwarden_crowdsec_decisions_total", "result=\"banned\"") >= 1);

        lapi.cscli("decisions", "delete", "--ip", DECIDED);
        await(() -> banOf(DECIDED + "/32") == null, "the deleted decision lifts the ban");
        Swaks.Result after = send(DECIDED);
        assertEquals(List.of(250), after.rcptReplies(), "accepted again:\n" + after.transcript());
    }

    @Test
    @Order(2)
    void postwardensOwnBanIsPushedToCrowdSec() throws Exception {
        adminBan(OWN + "/32");
        await(() -> !decisions(OWN).isEmpty(), "the ban of " + OWN + " in cscli decisions list");
        JsonNode d = decisions(OWN).get(0);
        assertEquals("ban", d.path("type").asText(), d.toString());
        assertEquals("postwarden", d.path("origin").asText(), d.toString());
        assertEquals("postwarden/admin", d.path("scenario").asText(), d.toString());
        assertTrue(lapi.cscli("alerts", "list", "-a", "-o", "json", "--ip", OWN).contains("Postwarden ban of " + OWN),
                "the alert is there too");
        // the stream brings it back: recognised as Postwarden's own, it stays an admin ban, not a CrowdSec one
        await(() -> daemon.metric("postwarden_crowdsec_decisions_total", "result=\"own\"") >= 1,
                "the pushed decision read back from the stream and skipped as Postwarden's own");
        assertEquals("admin", banOf(OWN + "/32").path("reason").asText());
        assertTrue(daemon.metric("postwarden_crowdsec_alerts_pushed_total") >= 1);
    }

    @Test
    @Order(3)
    void lapiDownKeepsTheDecisionsAlreadyRead() throws Exception {
        lapi.cscli("decisions", "add", "--ip", KEPT, "--duration", "1h");
        await(() -> banOf(KEPT + "/32") != null, "the decision on " + KEPT + " banned");
        lapi.stopServer();
        await(() -> daemon.metric("postwarden_crowdsec_errors_total", "direction=\"bouncer\"") >= 3,
                "three failed rounds counted");
        assertEquals(0.0, daemon.metric("postwarden_crowdsec_lapi_up", "direction=\"bouncer\""));
        String whileDown = policy(KEPT, "RCPT");
        assertTrue(refusal(whileDown), "still refused while the LAPI is down: " + whileDown + "\n" + daemon.log());
        Swaks.Result refused = send(KEPT);
        assertTrue(refused.rcptReplies().isEmpty() || refused.rcptReplies().get(0) >= 500, refused.transcript());
        long warnings = daemon.log().lines().filter(l -> l.contains("CrowdSec LAPI") && l.contains("failed (bouncer)"))
                .count();
        assertEquals(1, warnings, "logged once per outage:\n" + daemon.log());

        lapi.restart();
        await(() -> daemon.metric("postwarden_crowdsec_lapi_up", "direction=\"bouncer\"") == 1.0,
                "back up");
        assertTrue(daemon.log().contains("reachable again (bouncer)"), daemon.log());
        assertTrue(refusal(policy(KEPT, "RCPT")), "the decision still holds");
    }
}
