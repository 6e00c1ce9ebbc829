package org.postwarden.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
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

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The DNSBL monitor end to end: the real daemon, a real unbound whose zones the test changes while it runs
 * ({@code unbound-control} over a unix socket), a real Postfix asking the daemon at RCPT, swaks as the client, a
 * webhook of the test's receiving the alerts, and {@code postwarden ctl status} as a real process.
 *
 * <p>{@code all.test} answers "listed" for every name ({@code local-zone: redirect}, one {@code local-data}: a list
 * whose domain expired): its RFC 5782 probe fails at start-up, it is switched off, a clean client is not refused
 * although the zone "lists" it with a weight that would reject; {@code bl.test} is an honest list and still
 * scores. Later {@code all.test} turns sane and scores again. {@code bl.test} lists one of our own addresses
 * ({@code networks.own-addresses}), which is reported once however often it is checked, never refused, and cleared
 * when the zone stops listing it.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DnsblMonitorIT {
    static final Duration WAIT = Duration.ofSeconds(60);
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    static Path dir;
    static UnboundDns dns;
    static DaemonProcess daemon;
    static PostfixInstance postfix;
    static HttpServer hook;
    static final List<JsonNode> alerts = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        Requirements.requireRoot();
        Requirements.require("postfix", "postfix");
        Requirements.require("swaks", "swaks");
        dir = Files.createTempDirectory("pw-dnsbl-monitor-it");
        hook = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 10);
        hook.createContext("/hook", ex -> {
            try (ex) {
                alerts.add(JSON.readTree(ex.getRequestBody().readAllBytes()));
                ex.sendResponseHeaders(204, -1);
            }
        });
        hook.start();
        dns = UnboundDns.start(dir.resolve("dns"), """
                  local-zone: "all.test." redirect
                  local-data: "all.test. 60 IN A 127.0.0.2"
                  local-zone: "bl.test." static
                  local-data: "bl.test. 300 IN SOA ns.bl.test. admin.bl.test. 1 3600 600 86400 300"
                  local-data: "2.0.0.127.bl.test. 300 IN A 127.0.0.2"
                  local-data: "test.bl.test. 300 IN A 127.0.0.2"
                  local-data: "41.0.0.127.bl.test. 300 IN A 127.0.0.2"
                  local-data: "45.0.0.127.bl.test. 300 IN A 127.0.0.3"
                """, true);
        daemon = DaemonProcess.start(dir.resolve("daemon"), """
                milter: {enabled: false}
                networks:
                  local-domains: [example.test]
                  trusted: [127.0.0.2/32]
                  own-addresses: [127.0.0.45]
                scoring:
                  subnet-factor: 1000
                dnsbl:
                  enabled: true
                  resolver: %s
                  timeout: 150ms
                  zones:
                    - all.test*20
                    - bl.test*20
                  own-ip-check-interval: 10s
                  probe: {interval: 10s}
                outbound:
                  alerts:
                    webhook: {url: "http://127.0.0.1:%d/hook", retry-delay: 100ms}
                """.formatted(dns.hostPort(), hook.getAddress().getPort()));
        // Generous waits (as DnsblIT): raise the policy budget DaemonProcess writes, and the DNS wait below it.
        String cfg = Files.readString(daemon.config());
        String raised = cfg.replaceFirst("policy: \\{listen: ([^}]*)}", "policy: {listen: $1, time-budget: 3s}")
                .replace("  timeout: 150ms\n", "  timeout: 2s\n");
        assertTrue(!raised.equals(cfg) && raised.contains("time-budget: 3s}") && raised.contains("timeout: 2s"),
                raised);
        Files.writeString(daemon.config(), raised);
        daemon.stop();
        alerts.clear();
        daemon.restart();
        String policy = "check_policy_service { inet:127.0.0.1:" + daemon.policyPort() + ", timeout=10s,"
                + " default_action=DUNNO }";
        postfix = PostfixInstance.builder()
                .mainCf("smtpd_relay_restrictions", policy + ", permit_mynetworks, permit_sasl_authenticated,"
                        + " reject_unauth_destination")
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
        if (dns != null) {
            dns.close();
        }
        if (hook != null) {
            hook.stop(0);
        }
        if (dir != null) {
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    static Swaks.Result send(String client, String rcpt) {
        return Swaks.to(rcpt).port(postfix.smtpdPort()).localInterface(client).ehlo("mail.client.test")
                .from("sender@client.test").timeout(Duration.ofSeconds(20)).send();
    }

    static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what + "\nalerts: " + alerts + "\nlog:\n"
                        + daemon.log());
            }
            Thread.sleep(200);
        }
    }

    static List<JsonNode> alerts(String kind) {
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode a : alerts) {
            if (a.path("kind").asText().equals(kind)) {
                out.add(a);
            }
        }
        return out;
    }

    static double metric(String name, String... labels) {
        try {
            return daemon.metric(name, labels);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static JsonNode status() {
        try {
            String token = Files.readString(daemon.dir().resolve("state/admin.token")).trim();
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                    + daemon.httpPort() + "/admin/status")).header("Authorization", "Bearer " + token)
                    .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), r.body());
            return JSON.readTree(r.body()).path("dnsbl");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static Exec.Result ctl(String... args) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", System.getProperty("postwarden.jar", "target/postwarden.jar"), "ctl",
                "--url", "http://127.0.0.1:" + daemon.httpPort(),
                "--token-file", daemon.dir().resolve("state/admin.token").toString()));
        cmd.addAll(List.of(args));
        return Exec.run(Duration.ofSeconds(60), cmd).requireOk();
    }

    static JsonNode zone(JsonNode status, String zone) {
        for (JsonNode z : status.path("zones")) {
            if (z.path("zone").asText().equals(zone)) {
                return z;
            }
        }
        throw new AssertionError("no zone " + zone + " in " + status);
    }

    @Test
    @Order(1)
    void aZoneThatListsEverythingIsSwitchedOffAtStartUpAndTheHonestOneScores() throws Exception {
        await("all.test switched off", () -> metric("postwarden_dnsbl_zone_switched_off", "zone=\"all.test\"") == 1);
        assertEquals(0, metric("postwarden_dnsbl_zone_switched_off", "zone=\"bl.test\""));
        assertTrue(metric("postwarden_dnsbl_probes_total", "zone=\"all.test\"", "result=\"fail\"") >= 1);
        assertTrue(metric("postwarden_dnsbl_probes_total", "zone=\"bl.test\"", "result=\"pass\"") >= 1);
        assertTrue(daemon.log().contains("DNSBL zone all.test is switched off: it lists 127.0.0.1 (127.0.0.2)"),
                daemon.log());
        await("the zone-off alert", () -> !alerts("dnsbl-zone-off").isEmpty());
        assertEquals("zone:all.test", alerts("dnsbl-zone-off").get(0).path("subject").asText());
        JsonNode s = status();
        assertEquals("switched-off", zone(s, "all.test").path("state").asText(), s.toString());
        assertEquals("scoring", zone(s, "bl.test").path("state").asText(), s.toString());
        String out = ctl("status").output();
        assertTrue(out.contains("SWITCHED OFF zones: [\"all.test\"]"), out);
        assertTrue(out.lines().anyMatch(l -> l.strip().startsWith("all.test") && l.contains("switched-off")
                && l.contains("it seems to list everything")), out);
    }

    @Test
    @Order(2)
    void aCleanClientIsNotRefusedWhileAListedOneStillIs() throws Exception {
        Swaks.Result clean = send("127.0.0.40", "alice@example.test");
        assertEquals(List.of(250), clean.rcptReplies(), "all.test 'lists' it with weight 20, but is off:\n" + clean);
        assertTrue(clean.ok(), clean.toString());
        Swaks.Result listed = send("127.0.0.41", "bob@example.test");
        assertEquals(List.of(550), listed.rcptReplies(), listed.toString());
        assertTrue(listed.contains("DNS lists +20.0: bl.test") && !listed.contains("all.test"),
                "scored by the honest zone only:\n" + listed);
        assertTrue(daemon.log().contains("zone all.test is switched off by its probe"),
                "the decision's findings say why all.test did not count:\n" + daemon.log());
    }

    @Test
    @Order(3)
    void ourListedAddressIsReportedOnceAndNeverRefused() throws Exception {
        await("own address listed", () -> metric("postwarden_dnsbl_own_ip_listed", "zone=\"bl.test\"") == 1);
        assertEquals(0, metric("postwarden_dnsbl_own_ip_listed", "zone=\"all.test\""),
                "a zone that lists everything does not list us");
        assertTrue(daemon.log().contains("our outbound address 127.0.0.45 is listed in DNSBL zone bl.test "
                + "(127.0.0.3)"), daemon.log());
        await("the own-listed alert", () -> !alerts("dnsbl-own-listed").isEmpty());
        JsonNode a = alerts("dnsbl-own-listed").get(0);
        assertEquals("address:127.0.0.45", a.path("subject").asText());
        assertEquals("bl.test", a.path("details").path("zone").asText());
        // two more checks (every 10s) find it listed still: no second alert
        String first = status().path("ownAddresses").path("lastCheck").asText();
        await("a later check", () -> !status().path("ownAddresses").path("lastCheck").asText().equals(first));
        String second = status().path("ownAddresses").path("lastCheck").asText();
        await("another check", () -> !status().path("ownAddresses").path("lastCheck").asText().equals(second));
        assertEquals(1, alerts("dnsbl-own-listed").size(), "one alert per listing, not per check: " + alerts);
        assertEquals(1, metric("postwarden_alerts_total", "kind=\"dnsbl-own-listed\""));
        JsonNode listed = status().path("ownAddresses").path("listed");
        assertEquals(1, listed.size(), listed.toString());
        assertEquals("127.0.0.45", listed.get(0).path("address").asText());
        String out = ctl("status").output();
        assertTrue(out.contains("127.0.0.45 in bl.test (127.0.0.3) since"), out);

        Swaks.Result ours = send("127.0.0.45", "carol@example.test");
        assertEquals(List.of(250), ours.rcptReplies(), "our own address is never refused:\n" + ours);
    }

    @Test
    @Order(4)
    void aReloadThatReplacesTheDnsClientKeepsWhatTheMonitorKnew() throws Exception {
        String cfg = Files.readString(daemon.config());
        String changed = cfg.replace("own-ip-check-interval: 10s", "own-ip-check-interval: 11s");
        assertFalse(changed.equals(cfg), cfg);
        Files.writeString(daemon.config(), changed);
        ctl("reload");
        assertEquals(1, metric("postwarden_dnsbl_zone_switched_off", "zone=\"all.test\""),
                "still off right after the reload: no window in which the wildcard zone scores");
        await("the new client's monitor", () -> status().path("ownAddresses").path("intervalSeconds").asInt() == 11);
        String first = status().path("ownAddresses").path("lastCheck").asText();
        await("a check by the new client", () -> !status().path("ownAddresses").path("lastCheck").asText()
                .equals(first));
        assertEquals(1, alerts("dnsbl-own-listed").size(), "the listing is not alerted again: " + alerts);
        assertEquals(1, alerts("dnsbl-zone-off").size(), "nor the switched-off zone: " + alerts);
        assertEquals(1, status().path("ownAddresses").path("listed").size());
        Swaks.Result clean = send("127.0.0.49", "erin@example.test");
        assertEquals(List.of(250), clean.rcptReplies(), clean.toString());
    }

    @Test
    @Order(5)
    void aDelistingClearsTheGaugeAndIsReportedOnce() throws Exception {
        dns.control("local_data_remove", "45.0.0.127.bl.test");
        await("own address delisted", () -> metric("postwarden_dnsbl_own_ip_listed", "zone=\"bl.test\"") == 0);
        await("the delisted alert", () -> !alerts("dnsbl-own-delisted").isEmpty());
        assertEquals(1, alerts("dnsbl-own-delisted").size());
        assertTrue(daemon.log().contains("our outbound address 127.0.0.45 is no longer listed in DNSBL zone "
                + "bl.test"), daemon.log());
        assertEquals(0, status().path("ownAddresses").path("listed").size());
        assertTrue(ctl("status").output().contains("none listed"));
    }

    @Test
    @Order(6)
    void whenTheZoneAnswersSanelyAgainItScoresAgain() throws Exception {
        dns.control("local_zone_remove", "all.test");
        dns.control("local_zone", "all.test", "static");
        dns.control("local_data", "2.0.0.127.all.test 60 IN A 127.0.0.2");
        dns.control("local_data", "48.0.0.127.all.test 60 IN A 127.0.0.2");
        await("all.test on again", () -> metric("postwarden_dnsbl_zone_switched_off", "zone=\"all.test\"") == 0);
        await("the zone-on alert", () -> !alerts("dnsbl-zone-on").isEmpty());
        assertEquals(1, alerts("dnsbl-zone-off").size(), "switched off once: " + alerts);
        assertEquals("scoring", zone(status(), "all.test").path("state").asText());
        Swaks.Result listed = send("127.0.0.48", "dave@example.test");
        assertEquals(List.of(550), listed.rcptReplies(), listed.toString());
        assertTrue(listed.contains("DNS lists +20.0: all.test"), listed.toString());
        assertFalse(daemon.log().contains("\tat org.postwarden."), "no stack trace in the daemon's log:\n"
                + daemon.log());
    }
}
