package org.postwarden.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.postwarden.app.DeployFilesTest;
import org.postwarden.it.harness.Exec;
import org.postwarden.it.harness.Ports;
import org.postwarden.it.harness.Requirements;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * End to end, operations: the real daemon (a separate JVM) reloaded under load, its metrics checked by
 * {@code promtool check metrics} and scraped by a real Prometheus (Debian package {@code prometheus}) that loads
 * the shipped alert rules, the {@code ctl} CLI as a real process, and SIGTERM's exit status.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OperationsIT {
    static final int CONNECTIONS = 4;
    static final int REQUESTS = 400;
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    static Path dir;
    static DaemonProcess daemon;

    static String yaml(String limitsHost) {
        return "milter: {listen: 127.0.0.1:0}\n"
                + "networks: {local-domains: [example.test]}\n"
                + "limits:\n"
                + "  host: " + limitsHost + "\n"
                + "  subnet: {connections: [], messages: [], recipients: []}\n";
    }

    static final String LIMITS_A = "{connections: [], messages: [], recipients: [{window: 1d, max: 1000000}]}";
    /** Another layout (a messages window more): the reload moves the state to a new store. */
    static final String LIMITS_B = "{connections: [], messages: [{window: 1h, max: 100000}],"
            + " recipients: [{window: 1d, max: 1000000}]}";

    @BeforeAll
    static void start() throws Exception {
        dir = Files.createTempDirectory("pw-ops-it");
        daemon = DaemonProcess.start(dir, yaml(LIMITS_A));
    }

    @AfterAll
    static void stop() throws Exception {
        if (daemon != null) {
            daemon.stop();
        }
    }

    /** Rewrites the daemon's config file, keeping the listen addresses and state path DaemonProcess wrote. */
    static void rewrite(String extraYaml) throws IOException {
        String current = Files.readString(daemon.config());
        int cut = current.indexOf("milter:");
        Files.writeString(daemon.config(), current.substring(0, cut) + extraYaml);
    }

    static Exec.Result ctl(String... args) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", System.getProperty("postwarden.jar", "target/postwarden.jar"), "ctl",
                "--url", "http://127.0.0.1:" + daemon.httpPort(),
                "--token-file", dir.resolve("state/admin.token").toString()));
        cmd.addAll(List.of(args));
        return Exec.run(Duration.ofSeconds(60), cmd);
    }

    static JsonNode admin(String path) throws Exception {
        String token = Files.readString(dir.resolve("state/admin.token")).trim();
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + daemon.httpPort()
                + path)).header("Authorization", "Bearer " + token).timeout(Duration.ofSeconds(20)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return JSON.readTree(r.body());
    }

    static void signal(String sig) {
        Exec.Result r = Exec.run(Duration.ofSeconds(10), "kill", "-" + sig, Long.toString(daemon.pid()));
        assertTrue(r.ok(), r.describe());
    }

    static void awaitMetric(String name, double value, String... labels) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        double v = -1;
        while (System.nanoTime() < deadline) {
            v = daemon.metric(name, labels);
            if (v == value) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError(name + " " + String.join(",", labels) + " = " + v + ", expected " + value + "\n"
                + daemon.log());
    }

    static String request(String client, int port, String rcpt) {
        return "request=smtpd_access_policy\nprotocol_state=RCPT\nprotocol_name=ESMTP\nclient_address=" + client
                + "\nclient_port=" + port + "\nclient_name=unknown\nhelo_name=mail.client.test\nsender=s@client.test"
                + "\nrecipient=" + rcpt + "\ninstance=i" + port + "\n\n";
    }

    /** Sends one request on a persistent connection and reads its reply. */
    static String ask(Socket s, BufferedReader in, String request) throws IOException {
        OutputStream out = s.getOutputStream();
        out.write(request.getBytes(StandardCharsets.US_ASCII));
        out.flush();
        String line = in.readLine();
        String blank = in.readLine();
        if (line == null || blank == null || !blank.isEmpty()) {
            throw new IOException("connection closed or bad reply: " + line + " / " + blank);
        }
        return line;
    }

    @Test
    @Order(1)
    void reloadsUnderLoadDropNoRequestAndLoseNoState() throws Exception {
        AtomicIntegerArray answered = new AtomicIntegerArray(CONNECTIONS);
        ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < CONNECTIONS; t++) {
            int id = t;
            Thread th = new Thread(() -> {
                String client = "192.0.2." + (10 + id);
                try (Socket s = new Socket(InetAddress.getLoopbackAddress(), daemon.policyPort())) {
                    s.setSoTimeout(10_000);
                    s.setTcpNoDelay(true);
                    BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(),
                            StandardCharsets.US_ASCII));
                    for (int i = 0; i < REQUESTS; i++) {
                        String reply = ask(s, in, request(client, 40000 + id, "r" + i + "@example.test"));
                        if (!reply.equals("action=DUNNO")) {
                            failures.add(client + " request " + i + ": " + reply);
                        }
                        answered.incrementAndGet(id);
                        Thread.sleep(3);
                    }
                } catch (IOException | InterruptedException e) {
                    failures.add(client + " after " + answered.get(id) + " replies: " + e);
                }
            }, "load-" + t);
            th.start();
            threads.add(th);
        }
        awaitAnswered(answered, 30);

        rewrite(yaml(LIMITS_B));
        Exec.Result ok = ctl("reload");
        assertEquals(0, ok.exitCode(), ok.describe());
        assertTrue(ok.output().contains("configuration reloaded"), ok.output());

        rewrite(yaml(LIMITS_A) + "scoring: {half-life: soon}\n");
        Exec.Result refused = ctl("reload");
        assertEquals(1, refused.exitCode(), refused.describe());
        assertTrue(refused.output().contains("reload REFUSED") && refused.output().contains("scoring.half-life"),
                refused.output());
        assertEquals(0.0, daemon.metric("postwarden_config_last_reload_successful"));

        rewrite(yaml(LIMITS_A));
        signal("HUP");
        awaitMetric("postwarden_reloads_total", 1, "trigger=\"signal\"", "result=\"ok\"");
        rewrite(yaml(LIMITS_B) + "helo: {generic-patterns: [\"(unclosed\"]}\n");
        signal("HUP");
        awaitMetric("postwarden_reloads_total", 1, "trigger=\"signal\"", "result=\"invalid\"");
        assertTrue(daemon.log().contains("helo.generic-patterns[0] = \"(unclosed\""), "the error is logged:\n"
                + daemon.log());
        rewrite(yaml(LIMITS_B));
        signal("HUP");
        awaitMetric("postwarden_reloads_total", 2, "trigger=\"signal\"", "result=\"ok\"");
        assertEquals(1.0, daemon.metric("postwarden_config_last_reload_successful"));

        for (Thread th : threads) {
            th.join(TimeUnit.SECONDS.toMillis(60));
        }
        assertEquals(List.of(), List.copyOf(failures), "no request failed, no connection was closed");
        for (int t = 0; t < CONNECTIONS; t++) {
            assertEquals(REQUESTS, answered.get(t), "connection " + t);
        }
        assertEquals(CONNECTIONS, daemon.metric("postwarden_connections_total", "listener=\"policy\""),
                "the same connections throughout: none was dropped and reopened");
        assertEquals(0.0, daemon.metric("postwarden_fallbacks_total"), "no fallback answers");
        for (int t = 0; t < CONNECTIONS; t++) {
            JsonNode host = admin("/admin/explain?ip=192.0.2." + (10 + t)).path("keys").get(0);
            JsonNode rcpts = null;
            for (JsonNode c : host.path("counters")) {
                if (c.path("type").asText().equals("recipients")) {
                    rcpts = c;
                }
            }
            assertTrue(rcpts != null, host.toString());
            // one recipient per request; at most one lost to the sliding window if the test spans midnight UTC
            long counted = rcpts.path("count").asLong();
            assertTrue(counted == REQUESTS || counted == REQUESTS - 1,
                    "counters survive 3 layout-changing reloads: " + counted + " of " + REQUESTS);
        }
        JsonNode status = admin("/admin/status");
        assertTrue(status.path("lastReload").path("ok").asBoolean(), status.toString());
        assertEquals("signal", status.path("lastReload").path("trigger").asText());
    }

    static void awaitAnswered(AtomicIntegerArray answered, int each) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            boolean all = true;
            for (int i = 0; i < answered.length(); i++) {
                all &= answered.get(i) >= each;
            }
            if (all) {
                return;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("load did not start: " + answered);
    }

    @Test
    @Order(2)
    void theScrapePassesPromtoolAndEveryFamilyIsDocumented() throws Exception {
        Requirements.require("promtool", "prometheus");
        String text = daemon.metrics();
        Path scrape = dir.resolve("scrape.txt");
        Files.writeString(scrape, text);
        Exec.Result r = Exec.run(Duration.ofSeconds(30), "sh", "-c", "promtool check metrics < \"$0\"",
                scrape.toString());
        assertTrue(r.ok(), "promtool check metrics:\n" + r.describe());
        Set<String> families = new TreeSet<>();
        Matcher m = Pattern.compile("(?m)^# TYPE (postwarden_[a-z0-9_]+) ").matcher(text);
        while (m.find()) {
            // Micrometer adds a gauge <histogram>_max next to each histogram
            String f = m.group(1);
            String base = f.endsWith("_max") ? f.substring(0, f.length() - 4) : f;
            families.add(text.contains("# TYPE " + base + " histogram") ? base : f);
        }
        assertTrue(families.contains("postwarden_decisions_total") && families.contains("postwarden_reloads_total")
                && families.contains("postwarden_http_requests_total"), families.toString());
        Set<String> undocumented = new TreeSet<>(families);
        undocumented.removeAll(DeployFilesTest.documented());
        assertEquals(Set.of(), undocumented, "every exposed family is in docs/metrics.md");
        assertTrue(!text.contains("192.0.2."), "no client address in any label");
    }

    @Test
    @Order(3)
    void aRealPrometheusScrapesTheDaemonAndQueriesACounter() throws Exception {
        Requirements.require("prometheus", "prometheus");
        Path pdir = dir.resolve("prometheus");
        Files.createDirectories(pdir);
        Path alerts = Path.of("prometheus/alerts.yml").toAbsolutePath();
        Files.writeString(pdir.resolve("prometheus.yml"), "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
                + "rule_files: ['" + alerts + "']\n"
                + "scrape_configs:\n"
                + "  - job_name: postwarden\n"
                + "    static_configs: [{targets: ['127.0.0.1:" + daemon.httpPort() + "']}]\n");
        Path log = pdir.resolve("prometheus.log");
        Prometheus prometheus = Ports.retryOnBindFailure("prometheus", () -> startPrometheus(pdir, log));
        Process p = prometheus.process();
        int port = prometheus.port();
        try {
            double expected = daemon.metric("postwarden_decisions_total", "source=\"policy\"");
            assertTrue(expected >= CONNECTIONS * REQUESTS, "traffic from the first test: " + expected);
            String q = "sum(postwarden_decisions_total{job=\"postwarden\",source=\"policy\"})";
            double seen = -1;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (System.nanoTime() < deadline && seen < expected) {
                assertTrue(p.isAlive(), "prometheus exited:\n" + Files.readString(log));
                seen = query(port, q);
                Thread.sleep(250);
            }
            assertTrue(seen >= expected, "Prometheus sees the counter: " + seen + " (daemon: " + expected + ")\n"
                    + Files.readString(log));
            assertEquals(1.0, query(port, "up{job=\"postwarden\"}"));
            HttpResponse<String> rules = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                    + "/api/v1/rules")).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            assertTrue(rules.body().contains("\"PostwardenDown\"") && rules.body().contains("\"PostwardenOwnIpListed\""),
                    "the shipped alert rules load: " + rules.body());
            assertTrue(!rules.body().contains("\"health\":\"err\""), "every rule evaluates: " + rules.body());
        } finally {
            p.destroy();
            if (!p.waitFor(20, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        }
        assertTrue(!p.isAlive(), "prometheus stopped");
    }

    record Prometheus(Process process, int port) {
    }

    /**
     * Starts Prometheus on a port picked just before (it cannot report a port it bound) and waits until it is
     * ready; throws {@link Ports.AddressInUse} when the port was taken meanwhile.
     */
    static Prometheus startPrometheus(Path pdir, Path log) throws Exception {
        int port = Ports.candidate();
        Process p = new ProcessBuilder(Requirements.which("prometheus").orElseThrow().toString(),
                "--config.file=" + pdir.resolve("prometheus.yml"), "--storage.tsdb.path=" + pdir.resolve("data"),
                "--web.listen-address=127.0.0.1:" + port, "--log.level=warn")
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                String text = Files.readString(log);
                if (Ports.saysAddressInUse(text)) {
                    throw new Ports.AddressInUse("prometheus could not bind 127.0.0.1:" + port + ": " + text.lines()
                            .filter(Ports::saysAddressInUse).findFirst().orElse(""));
                }
                throw new AssertionError("prometheus exited with " + p.exitValue() + ":\n" + text);
            }
            try {
                HttpResponse<Void> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                        + "/-/ready")).timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding());
                if (r.statusCode() == 200 && p.isAlive()) {
                    return new Prometheus(p, port);
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(100);
        }
        p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        throw new AssertionError("prometheus not ready within 30 s:\n" + Files.readString(log));
    }

    /** The value of an instant query (first sample), or -1 when it has no result (or no listener) yet. */
    static double query(int port, String promql) throws Exception {
        HttpResponse<String> r;
        try {
            r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                    + "/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8)))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            return -1; // still starting
        }
        if (r.statusCode() != 200) {
            return -1;
        }
        JsonNode result = JSON.readTree(r.body()).path("data").path("result");
        return result.isEmpty() ? -1 : result.get(0).path("value").get(1).asDouble();
    }

    @Test
    @Order(4)
    void bansFromTheCliAreEnforcedOnTheWire() throws Exception {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), daemon.policyPort())) {
            s.setSoTimeout(10_000);
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
            assertEquals("action=DUNNO", ask(s, in, request("203.0.113.200", 5000, "a@example.test")));
            Exec.Result add = ctl("bans", "add", "203.0.113.0/24", "--duration", "1h", "--reason", "e2e");
            assertEquals(0, add.exitCode(), add.describe());
            String reply = ask(s, in, request("203.0.113.200", 5000, "b@example.test"));
            assertTrue(reply.startsWith("action=550 5.7.1 ") && reply.contains("203.0.113.0/24"), reply);
            Exec.Result explain = ctl("explain", "203.0.113.200");
            assertTrue(explain.output().contains("by admin: e2e") && explain.output().contains("ban/ban -> reject"),
                    explain.output());
            Exec.Result json = ctl("--json", "bans", "list");
            assertEquals("203.0.113.0/24", JSON.readTree(json.output()).path("bans").get(0).path("cidr").asText());
            Exec.Result remove = ctl("bans", "remove", "203.0.113.0/24");
            assertEquals(0, remove.exitCode(), remove.describe());
            assertEquals("action=DUNNO", ask(s, in, request("203.0.113.200", 5000, "c@example.test")));
        }
        Path wrong = dir.resolve("wrong.token");
        Files.writeString(wrong, "this-is-not-the-admin-token\n");
        Exec.Result denied = Exec.run(Duration.ofSeconds(60), Path.of(System.getProperty("java.home"), "bin",
                "java").toString(), "-jar", System.getProperty("postwarden.jar", "target/postwarden.jar"), "ctl",
                "--url", "http://127.0.0.1:" + daemon.httpPort(), "--token-file", wrong.toString(), "bans", "add",
                "198.51.100.1");
        assertEquals(3, denied.exitCode(), denied.describe());
        assertTrue(denied.output().contains("wrong bearer token"), denied.output());
        assertTrue(!daemon.log().contains("this-is-not-the-admin-token"), "the presented token is never logged");
    }

    @Test
    @Order(5)
    void sigtermStopsGracefullyWithExitStatus0() throws Exception {
        int exit = daemon.stop();
        assertEquals(0, exit, daemon.log());
        assertTrue(daemon.log().contains("postwarden stopped"), daemon.log());
        assertTrue(Files.exists(dir.resolve("state.snapshot")), "snapshot written on the way out");
    }
}
