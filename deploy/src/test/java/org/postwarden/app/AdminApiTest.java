package org.postwarden.app;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postwarden.api.LogSignal;
import org.postwarden.api.Suspensions;
import org.postwarden.config.load.ConfigLoader;
import org.postwarden.daemon.Daemon;
import org.postwarden.metrics.PostwardenMetrics;
import org.postwarden.model.Cidr;
import org.postwarden.model.MailEvent;
import org.postwarden.model.ManualTimeSource;
import org.postwarden.model.Signal;
import org.postwarden.model.SmtpStage;
import org.postwarden.verdict.Action;
import org.postwarden.verdict.Decision;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The admin API and {@code postwarden ctl} against an in-process daemon (HTTP listener only, on a free loopback
 * port, time from a manual clock): token handling, refusals, bans, explain, reload, report, and the CLI's output.
 */
class AdminApiTest {
    static final long T0 = 1_800_000_000_000L - (1_800_000_000_000L % 86_400_000L) + 3_600_000L;
    static final ObjectMapper JSON = new ObjectMapper();
    static final String BASE = """
            http: {listen: 127.0.0.1:0}
            store: {snapshot: {path: ""}}
            outbound: {state-path: ""}
            networks: {local-domains: [example.test]}
            allowlist: {clients: [198.51.100.0/24]}
            limits:
              host:
                connections: []
                messages: []
                recipients: [{window: 1d, max: 3}]
            """;

    @TempDir
    Path dir;
    final ManualTimeSource time = new ManualTimeSource(T0);
    final HttpClient http = HttpClient.newHttpClient();
    Daemon daemon;
    Path config;
    URI base;
    ReloadCoordinator reloads;

    /** Writes the config file: {@code body} plus the admin token file under the test's directory. */
    void writeConfig(String body) throws IOException {
        config = dir.resolve("postwarden.yaml");
        Files.writeString(config, body + "admin: {token-file: " + dir.resolve("state/admin.token") + "}\n");
    }

    void start(String extra) throws Exception {
        writeConfig(BASE + extra);
        PostwardenMetrics metrics = new PostwardenMetrics(new io.micrometer.core.instrument.simple.SimpleMeterRegistry());
        OpsMetrics ops = new OpsMetrics(metrics, "test");
        reloads = new ReloadCoordinator(config, time, ops);
        daemon = Daemon.start(ConfigLoader.load(config), time, metrics,
                List.of(new HttpListenerFactory(reloads, Suspensions.NONE, ops)));
        reloads.attach(daemon);
        HttpListener l = (HttpListener) daemon.listeners().get(0);
        base = URI.create("http://127.0.0.1:" + l.boundAddress().getPort());
    }

    @AfterEach
    void stop() {
        if (daemon != null) {
            daemon.close();
        }
    }

    String token() throws IOException {
        return Files.readString(dir.resolve("state/admin.token")).trim();
    }

    HttpResponse<String> call(String method, String path, String token, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(10))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    JsonNode ok(String method, String path, String body) throws Exception {
        HttpResponse<String> r = call(method, path, token(), body);
        assertEquals(200, r.statusCode(), r.body());
        return JSON.readTree(r.body());
    }

    static MailEvent rcpt(String ip, int port, String to) {
        return MailEvent.builder(SmtpStage.RCPT).source("policy").client(ip).clientPort(port)
                .helo("mail.sender.example").sender("a@sender.example").recipient(to).instance("i" + port).build();
    }

    Decision decide(MailEvent e) {
        return daemon.engine().current().decideNow(e);
    }

    @Test
    void tokenFileIsCreatedRandomAndOwnerOnly() throws Exception {
        start("");
        Path f = dir.resolve("state/admin.token");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)));
        assertTrue(token().matches("[0-9a-f]{64}"), "256 random bits as hex: " + token());
        String first = token();
        daemon.close();
        start("");
        assertEquals(first, token(), "an existing token is kept across restarts");
    }

    @Test
    void requestsWithoutTheRightTokenAreRefusedAndTheTokenIsNeverLogged() throws Exception {
        start("");
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        logs.start();
        ((Logger) LoggerFactory.getLogger(AdminApi.class)).addAppender(logs);
        try {
            HttpResponse<String> none = call("GET", "/admin/status", null, null);
            assertEquals(401, none.statusCode());
            assertTrue(none.headers().firstValue("WWW-Authenticate").orElse("").startsWith("Bearer"));
            String almost = token().substring(0, 63) + (token().endsWith("0") ? "1" : "0");
            assertEquals(401, call("GET", "/admin/status", almost, null).statusCode());
            assertEquals(401, call("POST", "/admin/bans", almost, "{\"cidr\":\"192.0.2.1\"}").statusCode());
            assertEquals(0, daemon.engine().current().store().activeBans().size(), "nothing done without the token");
            assertEquals(200, call("GET", "/admin/status", token(), null).statusCode());
            assertEquals(3, logs.list.stream().filter(e -> e.getFormattedMessage().contains("refused")).count(),
                    "one log line per refusal: " + logs.list);
            for (ILoggingEvent e : logs.list) {
                assertFalse(e.getFormattedMessage().contains(almost.substring(0, 16)), e.getFormattedMessage());
            }
        } finally {
            ((Logger) LoggerFactory.getLogger(AdminApi.class)).detachAppender(logs);
        }
    }

    @Test
    void anEmptyTokenFileSettingDisablesTheApi() throws Exception {
        config = dir.resolve("postwarden.yaml");
        Files.writeString(config, BASE + "admin: {token-file: \"\"}\n");
        PostwardenMetrics metrics = new PostwardenMetrics(new io.micrometer.core.instrument.simple.SimpleMeterRegistry());
        daemon = Daemon.start(ConfigLoader.load(config), time, metrics, List.of(new HttpListenerFactory()));
        base = URI.create("http://127.0.0.1:" + ((HttpListener) daemon.listeners().get(0)).boundAddress().getPort());
        HttpResponse<String> r = call("GET", "/admin/status", "whatever-token-value", null);
        assertEquals(403, r.statusCode());
        assertTrue(r.body().contains("admin API disabled (admin.token-file is empty)"), r.body());
        assertEquals(200, call("GET", "/metrics", null, null).statusCode(), "metrics stay open");
    }

    @Test
    void aWorldReadableTokenFileIsRefused() throws Exception {
        Path f = dir.resolve("state/admin.token");
        Files.createDirectories(f.getParent());
        Files.writeString(f, "0123456789abcdef0123456789abcdef\n");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
        start("");
        HttpResponse<String> r = call("GET", "/admin/status", "0123456789abcdef0123456789abcdef", null);
        assertEquals(503, r.statusCode());
        assertTrue(r.body().contains("readable by every local user"), r.body());
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
        assertTrue(reloads.reload("signal").ok(), "SIGHUP's path");
        assertEquals(200, call("GET", "/admin/status", "0123456789abcdef0123456789abcdef", null).statusCode(),
                "a reload re-reads the token file");
    }

    @Test
    void aBodyThatLooksLikeCutUtf32IsA400NotAnError() throws Exception {
        // found by fuzzing (AdminRequestsFuzzTest's seed utf32-body-cut-mid-character): Jackson reads 00 00 00 xx as
        // UTF-32 and fails with a CharConversionException, which is no JsonProcessingException
        start("");
        HttpRequest req = HttpRequest.newBuilder(base.resolve("/admin/bans")).timeout(Duration.ofSeconds(10))
                .header("Authorization", "Bearer " + token())
                .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[] {0, 0, 0, -1, -1, -1, 0})).build();
        HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
        assertEquals(400, r.statusCode(), r.body());
        assertTrue(r.body().contains("body is not valid JSON"), r.body());
    }

    @Test
    void banAddExplainAndRemove() throws Exception {
        start("");
        JsonNode added = ok("POST", "/admin/bans", "{\"cidr\":\"192.0.2.0/24\",\"duration\":\"2h\",\"reason\":\"test\"}");
        assertEquals("192.0.2.0/24", added.path("ban").path("cidr").asText());
        assertEquals("subnet", added.path("ban").path("level").asText());
        assertEquals("by admin: test", added.path("ban").path("detail").asText());
        assertEquals(Action.REJECT, decide(rcpt("192.0.2.77", 1, "a@example.test")).verdict().action());
        assertEquals(Action.PASS, decide(rcpt("192.0.3.77", 1, "a@example.test")).verdict().action());

        JsonNode ex = ok("GET", "/admin/explain?ip=192.0.2.77", null);
        assertEquals("192.0.2.0/24", ex.path("keys").get(1).path("ban").path("cidr").asText());
        JsonNode d = ex.path("decisions").get(0);
        assertEquals("reject", d.path("action").asText());
        assertEquals("ban", d.path("findings").get(0).path("check").asText());
        assertEquals(1, ok("GET", "/admin/bans", null).path("count").asInt());

        HttpResponse<String> bad = call("POST", "/admin/bans", token(), "{\"cidr\":\"192.0.2.0/23\"}");
        assertEquals(400, bad.statusCode());
        assertTrue(bad.body().contains("cidr = \\\"192.0.2.0/23\\\": expected an IPv4 /32 or /24"), bad.body());
        HttpResponse<String> badDuration = call("POST", "/admin/bans", token(),
                "{\"cidr\":\"192.0.2.9\",\"duration\":\"soon\"}");
        assertEquals(400, badDuration.statusCode());
        assertTrue(badDuration.body().contains("duration = \\\"soon\\\""), badDuration.body());

        JsonNode warned = ok("POST", "/admin/bans", "{\"cidr\":\"198.51.100.7\",\"duration\":\"permanent\"}");
        assertTrue(warned.path("ban").path("permanent").asBoolean());
        assertTrue(warned.path("warnings").get(0).asText().contains("exempt"), warned.toString());

        assertEquals("192.0.2.0/24", ok("DELETE", "/admin/bans?cidr=192.0.2.0/24", null).path("removed").asText());
        assertEquals(404, call("DELETE", "/admin/bans?cidr=192.0.2.0/24", token(), null).statusCode());
        assertEquals(Action.PASS, decide(rcpt("192.0.2.77", 2, "b@example.test")).verdict().action());
    }

    @Test
    void anAdminBanOfATrustedAddressWarnsAndNeverRefusesIt() throws Exception {
        start(""); // networks.trusted: the default 127.0.0.0/8
        JsonNode warned = ok("POST", "/admin/bans", "{\"cidr\":\"127.0.0.1\"}");
        assertTrue(warned.path("warnings").get(0).asText().contains("networks.trusted"), warned.toString());
        assertEquals(Action.PASS, decide(rcpt("127.0.0.1", 1, "a@example.test")).verdict().action());
        JsonNode net = ok("POST", "/admin/bans", "{\"cidr\":\"127.0.0.0/24\"}");
        assertTrue(net.path("warnings").toString().contains("127.0.0.0/8"), net.toString());
        assertEquals(Action.PASS, decide(rcpt("127.0.0.9", 2, "a@example.test")).verdict().action());
    }

    @Test
    void aBanWithoutDurationTakesTheNextEscalationStepLikeBansFromTheLogs() throws Exception {
        start("bans: {durations: [1h, 1d, permanent]}\n");
        JsonNode first = ok("POST", "/admin/bans", "{\"cidr\":\"192.0.2.9\"}");
        assertEquals(1, first.path("ban").path("offense").asInt());
        long firstMillis = Instant.parse(first.path("ban").path("until").asText()).toEpochMilli()
                - Instant.parse(first.path("ban").path("since").asText()).toEpochMilli();
        assertEquals(Duration.ofHours(1).toMillis(), firstMillis, first.toString());
        ok("DELETE", "/admin/bans?cidr=192.0.2.9", null);
        JsonNode second = ok("POST", "/admin/bans", "{\"cidr\":\"192.0.2.9\"}");
        assertEquals(2, second.path("ban").path("offense").asInt());
        long secondMillis = Instant.parse(second.path("ban").path("until").asText()).toEpochMilli()
                - Instant.parse(second.path("ban").path("since").asText()).toEpochMilli();
        assertEquals(Duration.ofDays(1).toMillis(), secondMillis, "the second offense: the next step");
        ok("DELETE", "/admin/bans?cidr=192.0.2.9", null);
        JsonNode third = ok("POST", "/admin/bans", "{\"cidr\":\"192.0.2.9\",\"duration\":\"2h\"}");
        long thirdMillis = Instant.parse(third.path("ban").path("until").asText()).toEpochMilli()
                - Instant.parse(third.path("ban").path("since").asText()).toEpochMilli();
        assertEquals(Duration.ofHours(2).toMillis(), thirdMillis, "an explicit duration is an override");
    }

    @Test
    void explainShowsCountersAgainstLimitsSignalsWithAgesAndTheChecksThatFired() throws Exception {
        start("");
        for (int i = 0; i < 4; i++) {
            decide(rcpt("203.0.113.5", 7, "r" + i + "@example.test"));
        }
        decide(rcpt("203.0.113.5", 7, "victim@elsewhere.test"));
        time.advance(Duration.ofSeconds(90));
        JsonNode ex = ok("GET", "/admin/explain?ip=203.0.113.5", null);
        JsonNode host = ex.path("keys").get(0);
        assertEquals("203.0.113.5/32", host.path("cidr").asText());
        JsonNode rc = host.path("counters").get(0);
        assertEquals("recipients", rc.path("type").asText());
        assertEquals(5, rc.path("count").asLong());
        assertEquals(3, rc.path("max").asLong());
        assertTrue(rc.path("exceeded").asBoolean());
        assertTrue(host.path("score").asDouble() > 0);
        JsonNode relay = null;
        for (JsonNode s : ex.path("signals")) {
            if (s.path("signal").asText().equals("relay-attempt")) {
                relay = s;
            }
        }
        assertTrue(relay != null, ex.path("signals").toString());
        assertEquals(90, relay.path("ageSeconds").asLong());
        JsonNode last = ex.path("decisions").get(0);
        assertEquals("defer", last.path("action").asText());
        assertEquals("recipients", last.path("reason").asText());
        JsonNode f = last.path("findings").get(0);
        assertEquals("rate-limit", f.path("check").asText());
        assertEquals(5.0, f.path("value").asDouble());
        assertEquals(3.0, f.path("threshold").asDouble());

        JsonNode report = ok("GET", "/admin/report?top=5", null);
        assertEquals("203.0.113.5/32", report.path("topScores").path("host").get(0).path("cidr").asText());
        boolean rateLimit = false;
        for (JsonNode c : report.path("categories")) {
            if (c.path("category").asText().equals("rate-limit:recipients")) {
                rateLimit = true;
                assertEquals("203.0.113.5", c.path("top").get(0).path("client").asText());
            }
        }
        assertTrue(rateLimit, report.path("categories").toString());
        assertEquals(400, call("GET", "/admin/report?top=0", token(), null).statusCode());
        assertEquals(400, call("GET", "/admin/explain", token(), null).statusCode());
        assertEquals(400, call("GET", "/admin/explain?ip=not-an-ip", token(), null).statusCode());
    }

    @Test
    void explainShowsTheNetworkScoreItsContributorsTheCapAndTheHostsHistory() throws Exception {
        start("");
        for (int i = 0; i < 5; i++) {
            decide(MailEvent.builder(SmtpStage.END_OF_MESSAGE).source("milter").client("203.0.113.70")
                    .clientPort(100 + i).queueId("Q" + i).build());
        }
        for (String h : List.of("10", "11", "12")) {
            for (int i = 0; i < 2; i++) {
                daemon.engine().current().observe(LogSignal.of(Signal.PREGREET, Cidr.parseAddress("203.0.113." + h),
                        "test"));
            }
        }
        JsonNode first = ok("GET", "/admin/explain?ip=203.0.113.50", null);
        JsonNode net = first.path("network");
        assertEquals("203.0.113.0/24", net.path("cidr").asText());
        assertEquals(48.0, net.path("score").asDouble(), 0.01, "three hosts, 16 each");
        assertEquals(3, net.path("contributors").asInt());
        assertEquals(3, net.path("minContributors").asInt());
        assertEquals(20.0, net.path("contributionCap").asDouble(), "bans.threshold");
        assertTrue(net.path("judged").asBoolean(), net.toString());
        assertTrue(first.path("history").isNull(), "nothing known of that host");
        assertEquals("defer", decide(rcpt("203.0.113.50", 9, "x@example.test")).verdict().action().label());
        JsonNode clean = ok("GET", "/admin/explain?ip=203.0.113.70", null);
        assertEquals(5, clean.path("history").path("acceptedMessages").asInt());
        assertTrue(clean.path("history").path("clean").asBoolean());
        assertFalse(clean.path("network").path("judged").asBoolean());
        assertEquals("pass", decide(rcpt("203.0.113.70", 10, "x@example.test")).verdict().action().label());

        Run text = ctlHere("explain", "203.0.113.50");
        assertTrue(text.out().contains("network 203.0.113.0/24: score 48 from 3 contributing host(s), needs 3 "
                + "(scoring.subnet-min-hosts); each host adds at most 20;"), text.out());
        Run history = ctlHere("explain", "203.0.113.70");
        assertTrue(history.out().contains("history of 203.0.113.70/32: 5 accepted message(s)")
                && history.out().contains("CLEAN, judged by its own score and bans only"), history.out());
        Run user = ctlHere("explain", "alice");
        assertTrue(user.out().contains("sending score (its own signals, e.g. quota overruns; never added to its "
                + "addresses): 0"), user.out());
    }

    @Test
    void explainShowsEachIpv6TierAndEveryAddressInTheCanonicalForm() throws Exception {
        start("");
        for (String h : List.of("101", "102", "103")) {
            daemon.engine().current().observe(LogSignal.of(Signal.PREGREET,
                    Cidr.parseAddress("2001:db8:77:" + h + ":0:0:0:22"), "test"));
        }
        assertEquals("defer", decide(rcpt("2001:db8:77:1fe::9", 11, "x@example.test")).verdict().action().label());
        // any valid form on input, RFC 5952 on output
        JsonNode ex = ok("GET", "/admin/explain?ip=2001:DB8:77:1FE:0:0:0:9", null);
        assertEquals("2001:db8:77:1fe::9", ex.path("ip").asText());
        assertEquals("2001:db8:77:1fe::9/128", ex.path("keys").get(0).path("cidr").asText());
        assertEquals("2001:db8:77:1fe::/64", ex.path("keys").get(1).path("cidr").asText());
        assertEquals("2001:db8:77:1fe::9", ex.path("decisions").get(0).path("client").asText());
        JsonNode tiers = ex.path("networks");
        assertEquals(2, tiers.size(), tiers.toString());
        assertEquals("2001:db8:77:100::/56", tiers.get(0).path("cidr").asText());
        assertEquals(3, tiers.get(0).path("contributors").asInt());
        assertEquals("/64s", tiers.get(0).path("children").asText());
        assertEquals("networks.ipv6-tiers[0].min-children", tiers.get(0).path("minKey").asText());
        assertTrue(tiers.get(0).path("judged").asBoolean(), tiers.toString());
        assertEquals("2001:db8:77::/48", tiers.get(1).path("cidr").asText());
        assertEquals(1, tiers.get(1).path("contributors").asInt(), "one /56");
        assertEquals("/56s", tiers.get(1).path("children").asText());
        assertFalse(tiers.get(1).path("judged").asBoolean());
        assertEquals(tiers.get(0), ex.path("network"), "network: the narrowest tier");

        Run text = ctlHere("explain", "2001:db8:77:1fe:0:0:0:9");
        assertEquals(0, text.exit(), text.err());
        assertTrue(text.out().contains("client 2001:db8:77:1fe::9 at"), text.out());
        assertTrue(text.out().contains("network 2001:db8:77:100::/56: score 24 from 3 contributing /64(s), needs 3 "
                + "(networks.ipv6-tiers[0].min-children); each /64 adds at most 20;"), text.out());
        assertTrue(text.out().contains("network 2001:db8:77::/48: score 20 from 1 contributing /56(s), needs 3 "
                + "(networks.ipv6-tiers[1].min-children)"), text.out());
        assertFalse(text.out().contains(":0:0:"), "no long form anywhere: " + text.out());

        // an admin ban at a tier prefix, in any form; the ban list prints it canonically
        JsonNode added = ok("POST", "/admin/bans", "{\"cidr\":\"2001:0DB8:0077:0100:0:0:0:0/56\",\"duration\":\"1h\"}");
        assertEquals("2001:db8:77:100::/56", added.path("ban").path("cidr").asText());
        assertEquals("2001:db8:77:100::/56", ok("GET", "/admin/bans", null).path("bans").get(0).path("cidr").asText());
        assertEquals(Action.REJECT, decide(rcpt("2001:db8:77:1fe::9", 12, "x@example.test")).verdict().action());
        HttpResponse<String> bad = call("POST", "/admin/bans", token(), "{\"cidr\":\"2001:db8::/52\"}");
        assertEquals(400, bad.statusCode());
        assertTrue(bad.body().contains("/48 (store.ipv6-wide-prefix), /56 (networks.ipv6-tiers)"),
                bad.body());
        assertEquals("2001:db8:77:100::/56",
                ok("DELETE", "/admin/bans?cidr=2001:db8:77:100:0:0:0:0/56", null).path("removed").asText());
    }

    @Test
    void anInvalidConfigIsRefusedWithItsErrorsAndTheOldOneStaysWithItsState() throws Exception {
        start("");
        for (int i = 0; i < 4; i++) {
            decide(rcpt("203.0.113.9", 7, "r" + i + "@example.test"));
        }
        writeConfig(BASE + "policy: {fallback-action: OK}\nscoring: {half-life: soon}\n");
        HttpResponse<String> refused = call("POST", "/admin/reload", token(), null);
        assertEquals(422, refused.statusCode(), refused.body());
        JsonNode r = JSON.readTree(refused.body());
        assertFalse(r.path("ok").asBoolean());
        assertTrue(r.path("errors").toString().contains("scoring.half-life"), r.toString());
        assertEquals(3, daemon.context().config().limits().host().recipients().get(0).max(), "old config stays");

        // a new limit window changes the counter layout: the state moves to a new store
        writeConfig(BASE.replace("max: 3", "max: 10").replace("messages: []", "messages: [{window: 1h, max: 9}]"));
        JsonNode done = ok("POST", "/admin/reload", null);
        assertTrue(done.path("ok").asBoolean(), done.toString());
        assertEquals(10, daemon.context().config().limits().host().recipients().get(0).max());
        JsonNode ex = ok("GET", "/admin/explain?ip=203.0.113.9", null);
        JsonNode counters = ex.path("keys").get(0).path("counters");
        assertEquals(2, counters.size(), counters.toString());
        assertEquals("messages", counters.get(0).path("type").asText());
        assertEquals(9, counters.get(0).path("max").asLong());
        assertEquals("recipients", counters.get(1).path("type").asText());
        assertEquals(10, counters.get(1).path("max").asLong());
        assertEquals(4, counters.get(1).path("count").asLong(), "counters survive the reload (new layout)");
        assertEquals(1, ex.path("decisions").size(), "decision history survives the reload: " + ex);
        JsonNode status = ok("GET", "/admin/status", null);
        assertTrue(status.path("lastReload").path("ok").asBoolean());
        assertEquals("admin", status.path("lastReload").path("trigger").asText());

        writeConfig(BASE + "http: {listen: 127.0.0.1:1}\n");
        HttpResponse<String> dup = call("POST", "/admin/reload", token(), null);
        assertEquals(422, dup.statusCode(), "a duplicate key is an error too: " + dup.body());
    }

    @Test
    void listenChangesNeedARestartAndSaySo() throws Exception {
        start("");
        writeConfig(BASE.replace("http: {listen: 127.0.0.1:0}", "http: {listen: 127.0.0.1:9}"));
        JsonNode done = ok("POST", "/admin/reload", null);
        assertTrue(done.path("ok").asBoolean());
        assertTrue(done.path("warnings").get(0).asText().startsWith("http.listen changed (127.0.0.1:0 -> 127.0.0.1:9)"),
                done.toString());
        assertEquals(200, call("GET", "/healthz", null, null).statusCode(), "still serving on the old address");
    }

    @Test
    void releaseAnswersClearlyThatNobodyIsSuspended() throws Exception {
        start("");
        HttpResponse<String> r = call("POST", "/admin/release?user=alice%40example.test", token(), null);
        assertEquals(404, r.statusCode());
        assertTrue(r.body().contains("no suspension for user:alice@example.test"), r.body());
        assertEquals(405, call("GET", "/admin/release?user=alice", token(), null).statusCode());
        HttpResponse<String> purge = call("POST", "/admin/purge?subject=192.0.2.9", token(), null);
        assertEquals(404, purge.statusCode());
        assertTrue(purge.body().contains("no suspension for client:192.0.2.9"), purge.body());
        HttpResponse<String> list = call("GET", "/admin/suspensions", token(), null);
        assertEquals(200, list.statusCode());
        assertTrue(list.body().contains("\"suspensions\" : [ ]"), list.body());
    }

    @Test
    void requestBodiesAreBounded() throws Exception {
        start("");
        String big = "{\"cidr\":\"" + "x".repeat(AdminApi.MAX_BODY) + "\"}";
        assertEquals(413, call("POST", "/admin/bans", token(), big).statusCode());
        assertEquals(400, call("POST", "/admin/bans", token(), "not json").statusCode());
    }

    // ---- the CLI ----------------------------------------------------------------------------------------------

    record Run(int exit, String out, String err) {
    }

    Run ctl(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        picocli.CommandLine cmd = Main.commandLine();
        cmd.setOut(new PrintWriter(out, true, StandardCharsets.UTF_8));
        cmd.setErr(new PrintWriter(err, true, StandardCharsets.UTF_8));
        int exit = cmd.execute(args);
        return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    Run ctlHere(String... args) {
        String[] all = new String[args.length + 5];
        all[0] = "ctl";
        all[1] = "--url";
        all[2] = base.toString();
        all[3] = "--token-file";
        all[4] = dir.resolve("state/admin.token").toString();
        System.arraycopy(args, 0, all, 5, args.length);
        return ctl(all);
    }

    @Test
    void ctlPrintsTablesByDefaultAndJsonOnRequest() throws Exception {
        start("");
        Run status = ctlHere("status");
        assertEquals(0, status.exit(), status.err());
        assertTrue(status.out().contains("listeners:"), status.out());
        assertTrue(status.out().contains("http "), status.out());

        Run ban = ctlHere("bans", "add", "192.0.2.0/24", "--duration", "1h", "--reason", "from the cli");
        assertEquals(0, ban.exit(), ban.err());
        assertTrue(ban.out().startsWith("banned 192.0.2.0/24 until "), ban.out());
        Run list = ctlHere("bans", "list");
        assertTrue(list.out().contains("by admin: from the cli"), list.out());
        Run json = ctlHere("--json", "bans", "list");
        assertEquals(1, JSON.readTree(json.out()).path("count").asInt(), json.out());

        decide(rcpt("192.0.2.5", 3, "x@example.test"));
        Run explain = ctlHere("explain", "192.0.2.5");
        assertEquals(0, explain.exit(), explain.err());
        assertTrue(explain.out().contains("REJECT  reason=ban"), explain.out());
        assertTrue(explain.out().contains("ban/ban -> reject"), explain.out());
        Run user = ctlHere("explain", "alice");
        assertTrue(user.out().startsWith("SASL user alice"), user.out());

        Run bad = ctlHere("bans", "add", "192.0.2.0/23");
        assertEquals(REFUSED, bad.exit());
        assertTrue(bad.err().contains("expected an IPv4 /32 or /24"), bad.err());
        Run release = ctlHere("release", "bob");
        assertEquals(REFUSED, release.exit());
        assertTrue(release.err().contains("no suspension for user:bob"), release.err());
        Run purge = ctlHere("purge", "bob");
        assertEquals(REFUSED, purge.exit());
        assertTrue(purge.err().contains("no suspension for user:bob"), purge.err());
        Run suspended = ctlHere("suspended");
        assertEquals(0, suspended.exit(), suspended.err());
        assertTrue(suspended.out().contains("no sender is suspended"), suspended.out());

        Files.writeString(config, "scoring: {half-life: soon}\n");
        Run reload = ctlHere("reload");
        assertEquals(REFUSED, reload.exit());
        assertTrue(reload.out().contains("reload REFUSED") && reload.out().contains("scoring.half-life"), reload.out());

        Run report = ctlHere("report");
        assertEquals(0, report.exit(), report.err());
        assertTrue(report.out().contains("top offenders by category"), report.out());
    }

    static final int REFUSED = 1;

    @Test
    void ctlExitsWith3WhenTheDaemonOrTheTokenIsMissing() throws Exception {
        start("");
        Run wrongToken = ctl("ctl", "--url", base.toString(), "--token-file", dir.resolve("nope").toString(), "status");
        assertEquals(3, wrongToken.exit());
        assertTrue(wrongToken.err().contains("cannot read token file"), wrongToken.err());
        Path other = dir.resolve("other.token");
        Files.writeString(other, "not-the-token-at-all\n");
        Run unauthorized = ctl("ctl", "--url", base.toString(), "--token-file", other.toString(), "status");
        assertEquals(3, unauthorized.exit());
        assertTrue(unauthorized.err().contains("wrong bearer token"), unauthorized.err());
        int closed;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        Run down = ctl("ctl", "--url", "http://127.0.0.1:" + closed, "--token-file",
                dir.resolve("state/admin.token").toString(), "--timeout", "5", "status");
        assertEquals(3, down.exit());
        assertTrue(down.err().contains("cannot connect"), down.err());
        assertNotEquals("", down.err());
    }
}
