package org.postwarden.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.postwarden.it.harness.PostfixInstance;
import org.postwarden.it.harness.Requirements;
import org.postwarden.it.harness.SinkMessage;
import org.postwarden.it.harness.Swaks;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * End to end with a real DNS server: unbound (loopback port, local zones only) lists some 127.0.0.x clients in a
 * blocklist zone and one in an allowlist zone (both list their RFC 5782 test point 127.0.0.2, as honest lists do:
 * the daemon probes it and would switch off a zone that does not); the real daemon asks it through its DNSBL
 * client; a real Postfix asks
 * the daemon through {@code check_policy_service} (RCPT) and, on a second instance, through the milter (CONNECT);
 * swaks is the client.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DnsblIT {
    static Path dir;
    static UnboundDns dns;
    static DaemonProcess daemon;
    static PostfixInstance policyPostfix;
    static PostfixInstance milterPostfix;

    @BeforeAll
    static void start() throws Exception {
        Requirements.requireRoot();
        Requirements.require("postfix", "postfix");
        Requirements.require("swaks", "swaks");
        dir = Files.createTempDirectory("pw-dnsbl-it");
        dns = UnboundDns.start(dir.resolve("dns"), """
                  local-zone: "bl.test." static
                  local-data: "bl.test. 300 IN SOA ns.bl.test. admin.bl.test. 1 3600 600 86400 300"
                  local-data: "2.0.0.127.bl.test. 300 IN A 127.0.0.2"
                  local-data: "41.0.0.127.bl.test. 300 IN A 127.0.0.2"
                  local-data: "42.0.0.127.bl.test. 300 IN A 127.0.0.10"
                  local-data: "45.0.0.127.bl.test. 300 IN A 127.0.0.2"
                  local-data: "46.0.0.127.bl.test. 300 IN A 127.0.0.2"
                  local-zone: "wl.test." static
                  local-data: "2.0.0.127.wl.test. 300 IN A 127.0.10.0"
                  local-data: "43.0.0.127.wl.test. 300 IN A 127.0.10.2"
                """);
        daemon = DaemonProcess.start(dir.resolve("daemon"), """
                milter: {listen: 127.0.0.1:0, time-budget: 3s}
                networks:
                  local-domains: [example.test]
                  trusted: [127.0.0.2/32]
                scoring:
                  subnet-factor: 1000
                  weights: {helo-generic: 9.0}
                dnsbl:
                  enabled: true
                  resolver: %s
                  timeout: 150ms
                  zones:
                    - bl.test=127.0.0.[2..9]*20
                    - bl.test=127.0.0.[10;11]*9
                    - wl.test=127.0.[0..255].[1..3]*-5
                  own-ips: [127.0.0.45]
                """.formatted(dns.hostPort()));
        // Generous waits, so a loaded machine cannot turn a listing into a pass: DaemonProcess writes the policy
        // section itself, so raise its budget in the written file and start again.
        String cfg = Files.readString(daemon.config());
        String raised = cfg.replaceFirst("policy: \\{listen: ([^}]*)}", "policy: {listen: $1, time-budget: 3s}")
                .replace("  timeout: 150ms\n", "  timeout: 2s\n");
        assertTrue(!raised.equals(cfg) && raised.contains("time-budget: 3s}") && raised.contains("timeout: 2s"),
                raised);
        Files.writeString(daemon.config(), raised);
        daemon.restart();
        // Postfix after the daemon's last start: the ports it bound (on port 0) go into main.cf
        String policy = "check_policy_service { inet:127.0.0.1:" + daemon.policyPort() + ", timeout=10s,"
                + " default_action=DUNNO }";
        policyPostfix = PostfixInstance.builder()
                .mainCf("smtpd_relay_restrictions", policy + ", permit_mynetworks, permit_sasl_authenticated,"
                        + " reject_unauth_destination")
                .start();
        milterPostfix = PostfixInstance.builder()
                .mainCf("smtpd_milters", "inet:127.0.0.1:" + daemon.milterPort())
                .mainCf("milter_default_action", "accept")
                .mainCf("milter_protocol", "6")
                .start();
    }

    @AfterAll
    static void stop() throws Exception {
        for (AutoCloseable c : new AutoCloseable[] {milterPostfix, policyPostfix}) {
            if (c != null) {
                c.close();
            }
        }
        if (daemon != null) {
            daemon.stop();
        }
        if (dns != null) {
            dns.close();
        }
        if (dir != null) {
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    static Swaks.Result send(PostfixInstance postfix, String client, String helo, String rcpt) {
        return Swaks.to(rcpt).port(postfix.smtpdPort()).localInterface(client).ehlo(helo)
                .from("sender@client.test").timeout(Duration.ofSeconds(20)).send();
    }

    @Test
    @Order(1)
    void anUnlistedClientIsDelivered() {
        Swaks.Result r = send(policyPostfix, "127.0.0.40", "mail.client.test", "alice@example.test");
        assertEquals(List.of(250), r.rcptReplies(), r.toString());
        assertTrue(r.ok(), r.toString());
        assertTrue(policyPostfix.awaitDelivered(1, Duration.ofSeconds(20)).stream()
                .anyMatch(m -> m.recipients().contains("alice@example.test")));
    }

    @Test
    @Order(2)
    void aClientListedWithAHeavyCodeIsRejectedNamingTheZone() throws Exception {
        Swaks.Result r = send(policyPostfix, "127.0.0.41", "mail.client.test", "bob@example.test");
        assertEquals(List.of(550), r.rcptReplies(), r.toString());
        assertTrue(r.contains("550 5.7.1") && r.contains("poor reputation: score 20.0 >= 15.0")
                && r.contains("DNS lists +20.0: bl.test"), r.toString());
        assertTrue(daemon.log().contains("is listed in bl.test (127.0.0.2 matches 127.0.0.[2..9]): +20.0"),
                "the decision log explains the zone and the code:\n" + daemon.log());
    }

    @Test
    @Order(3)
    void aClientListedWithALighterCodeIsDeferred() throws Exception {
        Swaks.Result r = send(policyPostfix, "127.0.0.42", "mail.client.test", "carol@example.test");
        assertEquals(List.of(450), r.rcptReplies(), r.toString());
        assertTrue(r.contains("450 4.7.1") && r.contains("score 9.0 >= 8.0"), r.toString());
        assertTrue(daemon.metric("postwarden_dnsbl_listings_total", "zone=\"bl.test\"") >= 2);
        assertTrue(daemon.metric("postwarden_dnsbl_queries_total", "zone=\"wl.test\"") >= 3);
        assertEquals(0, daemon.metric("postwarden_dnsbl_errors_total"), "no DNS errors");
    }

    @Test
    @Order(4)
    void aDnswlListedClientWithABadHeloIsLetThroughAnUnlistedOneIsNot() throws Exception {
        Swaks.Result bad = send(policyPostfix, "127.0.0.44", "WIN-ABCDEFG1", "dave@example.test");
        assertEquals(List.of(450), bad.rcptReplies(), "a generic HELO alone defers (9 >= 8):\n" + bad);
        int before = policyPostfix.deliveredMessages().size();
        Swaks.Result wl = send(policyPostfix, "127.0.0.43", "WIN-ABCDEFG1", "erin@example.test");
        assertEquals(List.of(250), wl.rcptReplies(), "the DNSWL listing offsets it (9 - 5 = 4):\n" + wl);
        assertTrue(wl.ok(), wl.toString());
        SinkMessage m = policyPostfix.awaitDelivered(before + 1, Duration.ofSeconds(20)).stream()
                .filter(x -> x.recipients().contains("erin@example.test")).findFirst().orElseThrow();
        assertTrue(m.header("X-Postwarden-Score").orElse("").contains("DNS lists -5.0"),
                "tagged, with the listing explained:\n" + m.text());
        assertTrue(daemon.metric("postwarden_signals_total", "signal=\"dnswl\"") >= 1);
    }

    @Test
    @Order(5)
    void theMilterRefusesAListedClientAtConnect() throws Exception {
        Swaks.Result listed = send(milterPostfix, "127.0.0.46", "mail.client.test", "frank@example.test");
        assertFalse(listed.ok(), listed.toString());
        assertEquals(554, Integer.parseInt(listed.replies().get(0).substring(0, 3)),
                "Postfix answers a milter's connect-time reject with 554 at the greeting:\n" + listed);
        String line = milterPostfix.awaitLog(Pattern.compile("milter-reject: CONNECT from .*127\\.0\\.0\\.46.*"),
                Duration.ofSeconds(10));
        assertTrue(line.contains("5.7.1") && line.contains("bl.test"), "the milter's reply names the zone: " + line);
        Swaks.Result clean = send(milterPostfix, "127.0.0.47", "mail.client.test", "grace@example.test");
        assertTrue(clean.ok(), clean.toString());
        assertTrue(daemon.metric("postwarden_decisions_total", "source=\"milter\"", "stage=\"connect\"",
                "action=\"reject\"") >= 1);
    }

    @Test
    @Order(6)
    void ourOwnListedAddressRaisesTheGaugeAndALogLine() throws Exception {
        assertEquals(1.0, daemon.metric("postwarden_dnsbl_own_ip_listed", "zone=\"bl.test\""));
        assertEquals(0.0, daemon.metric("postwarden_dnsbl_own_ip_listed", "zone=\"wl.test\""));
        assertTrue(daemon.log().contains("our outbound address 127.0.0.45 is listed in DNSBL zone bl.test"),
                daemon.log());
        assertTrue(daemon.metric("postwarden_dnsbl_cache_hit_ratio") > 0);
        assertTrue(daemon.metric("postwarden_dnsbl_query_seconds_count", "zone=\"bl.test\"") >= 1,
                "latency histogram per zone");
    }
}
