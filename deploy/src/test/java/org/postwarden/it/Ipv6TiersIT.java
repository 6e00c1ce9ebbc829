package org.postwarden.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postwarden.it.harness.PostfixInstance;
import org.postwarden.it.harness.Requirements;
import org.postwarden.it.harness.Swaks;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * End to end, issue 20 (parts 1 and 6): IPv6 networks in tiers through a real Postfix. Loopback gives only 127.x
 * and ::1 clients, so the test's client (127.0.0.1, in {@code smtpd_authorized_xclient_hosts}) presents IPv6
 * addresses with Postfix's XCLIENT, and Postfix hands them to the policy server as {@code client_address}.
 *
 * <p>A bot rotates through 40 /64s of one /56, one relay attempt each (6 points; Postfix refuses the RCPT itself).
 * A clean client in another /64 of that /56 is deferred (450 4.7.1, the /56's network score) from the configured
 * crowd on ({@code min-children: 5}), not before; a clean client in another /56 of the same /48 never is (the /48
 * counts /56s: one). Then what Postwarden prints of those addresses (its decision log line, {@code ctl explain}) is
 * in RFC 5952's form, as Postfix writes them in its log, and the tiers survive a restart (the snapshot).
 */
class Ipv6TiersIT {
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final String NEIGHBOUR = "2001:db8:77:1fe::9";      // same /56 as the bot, its own clean /64
    static final String OTHER_56 = "2001:db8:77:200::5";       // same /48, another /56
    static final int MIN_CHILDREN = 5;
    static Path dir;
    static DaemonProcess daemon;
    static PostfixInstance postfix;

    @BeforeAll
    static void start() throws Exception {
        Requirements.requireRoot();
        Requirements.require("postfix", "postfix");
        Requirements.require("swaks", "swaks");
        dir = Files.createTempDirectory("pw-v6tiers-it");
        daemon = DaemonProcess.start(dir, """
                networks:
                  local-domains: [example.test]
                  ipv6-tiers:
                    - {prefix: 56, min-children: %d, ban-min-children: 0}
                    - {prefix: 48, min-children: 3}
                limits:
                  host: {connections: [], messages: [], recipients: []}
                  subnet: {connections: [], messages: [], recipients: []}
                  wide: {connections: [], messages: [], recipients: []}
                scoring:
                  subnet-factor: 3.0
                  weights: {relay-attempt: 6.0}   # below the host's own defer (8): a /64 alone is only tagged
                  thresholds: {tag: 3.0, defer: 8.0, reject: 15.0}
                bans:
                  threshold: 20.0              # also the most one /64 adds to its /56, one /56 to its /48
                  scanners: {enabled: false}   # no DNS here
                outbound: {state-path: ""}
                """.formatted(MIN_CHILDREN));
        String policy = "check_policy_service { inet:127.0.0.1:" + daemon.policyPort()
                + ", timeout=10s, default_action=DUNNO }";
        postfix = PostfixInstance.builder()
                .xclientHosts("127.0.0.1")
                // XCLIENT takes an IPv6 ADDR only when Postfix has IPv6 on (its services still bind 127.0.0.1)
                .mainCf("inet_protocols", "all")
                // before reject_unauth_destination, so the policy server sees the relay attempts
                .mainCf("smtpd_relay_restrictions", policy + ", permit_mynetworks, reject_unauth_destination")
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

    static Swaks.Result send(String client, String rcpt) {
        return Swaks.to(rcpt).port(postfix.smtpdPort()).localInterface("127.0.0.1").xclientAddr(client)
                .ehlo("mail.client.test").from("sender@client.test").timeout(Duration.ofSeconds(20)).send();
    }

    static JsonNode admin(String path) throws Exception {
        String token = Files.readString(dir.resolve("state/admin.token")).trim();
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + daemon.httpPort()
                + path)).header("Authorization", "Bearer " + token).timeout(Duration.ofSeconds(20)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return JSON.readTree(r.body());
    }

    /** The i-th /64 of the bot's /56 2001:db8:77:100::/56, written the long way (any form is valid input). */
    static String bot(int i) {
        return "2001:db8:77:1" + String.format("%02x", i) + ":0:0:0:22";
    }

    @Test
    void aRotationThroughSlash64sIsDeferredAtItsSlash56AndNotItsNeighbourSlash56s() throws Exception {
        Set<Integer> probes = Set.of(1, 2, 3, 4, 5, 6, 10, 20, 40);
        for (int i = 1; i <= 40; i++) {
            Swaks.Result relay = send(bot(i), "victim@elsewhere.test");
            // Postfix refuses the relay attempt itself (554) until the /56 has its crowd; from the attempt that
            // completes it (scored before the score check), the policy server defers the bot's fresh /64s first
            assertEquals(List.of(i < MIN_CHILDREN ? 554 : 450), relay.rcptReplies(), "/64 number " + i + ": "
                    + relay);
            if (!probes.contains(i)) {
                continue;
            }
            Swaks.Result n = send(NEIGHBOUR, "user@example.test");
            if (i < MIN_CHILDREN) {
                assertEquals(List.of(250), n.rcptReplies(), "after " + i + " /64s the /56 has no crowd yet: " + n);
            } else {
                assertEquals(List.of(450), n.rcptReplies(), "after " + i + " /64s: " + n);
                assertTrue(n.contains("450 4.7.1") && n.contains("for wide 2001:db8:77:100::/56 (" + i
                        + " /64s contributed, each at most 20.0)"), n.toString());
            }
            Swaks.Result o = send(OTHER_56, "user@example.test");
            assertEquals(List.of(250), o.rcptReplies(), "a clean /64 of another /56 of the /48, after " + i + ": " + o);
        }
        // what Postwarden prints is what Postfix logs: RFC 5952, never Java's 2001:db8:77:1fe:0:0:0:9
        String pf = postfix.awaitLog(Pattern.compile("\\[" + Pattern.quote(NEIGHBOUR) + "\\]"), Duration.ofSeconds(10));
        assertTrue(pf.contains("[" + NEIGHBOUR + "]"), pf);
        assertTrue(daemon.log().contains(NEIGHBOUR), "the decision log line names the client as Postfix does:\n"
                + daemon.log());
        assertFalse(daemon.log().contains("2001:db8:77:1fe:0:0:0:9"), daemon.log());
        JsonNode ex = admin("/admin/explain?ip=" + NEIGHBOUR);
        assertEquals(NEIGHBOUR, ex.path("ip").asText());
        JsonNode tiers = ex.path("networks");
        assertEquals("2001:db8:77:100::/56", tiers.get(0).path("cidr").asText(), tiers.toString());
        assertEquals(40, tiers.get(0).path("contributors").asInt(), tiers.toString());
        assertTrue(tiers.get(0).path("judged").asBoolean(), tiers.toString());
        assertEquals("2001:db8:77::/48", tiers.get(1).path("cidr").asText());
        assertEquals(1, tiers.get(1).path("contributors").asInt(), "the /48 counts /56s: " + tiers);
        assertFalse(tiers.get(1).path("judged").asBoolean(), tiers.toString());

        // one /64 alone never moves its /56: six addresses of one /64 defer that /64 (its own score), not its /56
        for (int k = 0; k < 6; k++) {
            send("2001:db8:77:301::" + (k + 1), "victim@elsewhere.test");
        }
        Swaks.Result own = send("2001:db8:77:301::99", "user@example.test");
        assertEquals(List.of(450), own.rcptReplies(), own.toString());
        assertTrue(own.contains("score 36.0 >= 24.0 for subnet 2001:db8:77:301::/64"), "its own /64: " + own);
        assertEquals(List.of(250), send("2001:db8:77:3fe::1", "user@example.test").rcptReplies(),
                "its /56 has one contributor");

        // persisted like the rest: after a restart (snapshot at shutdown, read at start) the tiers are there
        daemon.restart();
        JsonNode after = admin("/admin/explain?ip=" + NEIGHBOUR).path("networks");
        assertEquals(40, after.get(0).path("contributors").asInt(), after.toString());
        assertTrue(after.get(0).path("score").asDouble() > 8 * 3, after.toString());
    }
}
