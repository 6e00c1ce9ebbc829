package org.postwarden.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.postwarden.it.harness.Exec;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 18, finding 7, with the real daemon jar: {@code kill -9} under load forgets no ban and no suspension made
 * before it (the journal), and a torn snapshot with a torn journal at start is kept aside, the journal's valid
 * records are served, and {@code /readyz} says 503 with the reason until {@code postwarden ctl ack-corrupt}.
 * Loopback only: the policy requests go straight to the daemon's policy port (client addresses are request
 * attributes, never contacted).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DurabilityIT {
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    /** Relay-probing hosts, each in its own /24, so each gets a host ban of its own. */
    static final int PROBERS = 24;
    static final int USERS = 6;
    static final Duration WAIT = Duration.ofSeconds(60);
    static Path dir;
    static DaemonProcess daemon;

    /** Automatic bans come from log signals: PREGREET lines appended to a followed file. */
    static final String YAML = """
            networks: {local-domains: [example.test]}
            ingest: {files: [%1$s/maillog], poll-interval: 100ms, state-path: %1$s/ingest.offsets}
            scoring: {weights: {pregreet: 10.0}}
            bans: {threshold: 10.0, scanners: {enabled: false}}
            limits: {host: {connections: [], messages: [], recipients: []}, \
            subnet: {connections: [], messages: [], recipients: []}}
            outbound: {state-path: "", floors: {recipients: 3}}
            """;

    @BeforeAll
    static void start() throws Exception {
        dir = Files.createTempDirectory("pw-durability-it");
        Files.createFile(dir.resolve("maillog"));
        daemon = DaemonProcess.start(dir, YAML.formatted(dir));
    }

    private static int line;

    /** Appends postscreen PREGREET lines for each host (a few each: enough to ban even if one line is capped). */
    static void pregreet(List<String> hosts) throws IOException {
        StringBuilder b = new StringBuilder();
        // syslog's time stamp, now (older lines than ingest.max-line-age are read but not scored)
        String stamp = java.time.format.DateTimeFormatter.ofPattern("MMM ppd HH:mm:ss", java.util.Locale.ROOT)
                .format(java.time.LocalDateTime.now());
        for (String h : hosts) {
            for (int i = 0; i < 4; i++) {
                line++;
                b.append(stamp).append(" mx postfix/postscreen[").append(1000 + line).append("]: PREGREET 11 after 0.1 ")
                        .append("from [").append(h).append("]:").append(40000 + line).append(": EHLO x\\r\\n\n");
            }
        }
        Files.writeString(dir.resolve("maillog"), b, StandardOpenOption.APPEND);
    }

    /** Waits (bounded) until every host of {@code hosts} is banned. */
    static void awaitBanned(List<String> hosts) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        Set<String> want = new TreeSet<>();
        hosts.forEach(h -> want.add(h + "/32"));
        while (System.nanoTime() < deadline) {
            if (bans().containsAll(want)) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("not banned: " + difference(want, bans()) + "\n" + daemon.log());
    }

    static List<String> hosts(String prefix, int from, int n) {
        List<String> out = new ArrayList<>();
        for (int i = from; i < from + n; i++) {
            out.add(prefix + i + ".5");
        }
        return out;
    }

    @AfterAll
    static void stop() throws Exception {
        if (daemon != null) {
            daemon.stop();
        }
    }

    static String request(String client, String rcpt, String sasl) {
        return "request=smtpd_access_policy\nprotocol_state=RCPT\nprotocol_name=ESMTP\nclient_address=" + client
                + "\nclient_port=40000\nclient_name=unknown\nhelo_name=mail.client.test\nsender=s@client.test"
                + "\nrecipient=" + rcpt + "\nsasl_username=" + sasl + "\ninstance=i" + rcpt.hashCode() + "\n\n";
    }

    /** One policy connection: sends requests and reads their replies. */
    static final class Policy implements AutoCloseable {
        final Socket socket;
        final BufferedReader in;

        Policy() throws IOException {
            socket = new Socket(InetAddress.getLoopbackAddress(), daemon.policyPort());
            socket.setSoTimeout(20_000);
            in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
        }

        String ask(String request) throws IOException {
            OutputStream out = socket.getOutputStream();
            out.write(request.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String line = in.readLine();
            String blank = in.readLine();
            if (line == null || blank == null || !blank.isEmpty()) {
                throw new IOException("connection closed or bad reply: " + line + " / " + blank);
            }
            return line;
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    static HttpResponse<String> http(String method, String path, String body) throws Exception {
        String token = Files.readString(dir.resolve("state/admin.token")).trim();
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + daemon.httpPort() + path))
                .header("Authorization", "Bearer " + token).timeout(Duration.ofSeconds(20));
        b = body == null ? b.method(method, HttpRequest.BodyPublishers.noBody())
                : b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body));
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static JsonNode admin(String path) throws Exception {
        HttpResponse<String> r = http("GET", path, null);
        assertEquals(200, r.statusCode(), r.body());
        return JSON.readTree(r.body());
    }

    static Set<String> bans() throws Exception {
        Set<String> out = new TreeSet<>();
        for (JsonNode b : admin("/admin/bans").path("bans")) {
            out.add(b.path("cidr").asText());
        }
        return out;
    }

    static Set<String> suspensions() throws Exception {
        Set<String> out = new TreeSet<>();
        for (JsonNode s : admin("/admin/suspensions").path("suspensions")) {
            out.add(s.path("subject").asText());
        }
        return out;
    }

    static Exec.Result ctl(String... args) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", System.getProperty("postwarden.jar", "target/postwarden.jar"), "ctl",
                "--url", "http://127.0.0.1:" + daemon.httpPort(),
                "--token-file", dir.resolve("state/admin.token").toString()));
        cmd.addAll(List.of(args));
        return Exec.run(Duration.ofSeconds(60), cmd);
    }

    static void assertRefusedAsBanned(Policy p, String client) throws IOException {
        String reply = p.ask(request(client, "someone@example.test", ""));
        assertTrue(reply.contains("is banned"), client + ": " + reply);
    }

    /** Waits (bounded, not a timed assertion) until the journal has put {@code atLeast} records on disk. */
    static void awaitJournalSynced(double atLeast) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            if (daemon.metric("postwarden_journal_records", "state=\"pending\"") == 0
                    && daemon.metric("postwarden_journal_records", "state=\"synced\"") >= atLeast) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("journal never synced " + atLeast + " records:\n" + daemon.metrics());
    }

    @Test
    @Order(1)
    void kill9UnderLoadForgetsNoBanAndNoSuspension() throws Exception {
        // background load that runs through the kill: ordinary mail from hosts that are never refused
        AtomicBoolean stopLoad = new AtomicBoolean();
        AtomicLong answered = new AtomicLong();
        ConcurrentLinkedQueue<String> loadProblems = new ConcurrentLinkedQueue<>();
        List<Thread> load = new ArrayList<>();
        for (int t = 0; t < 3; t++) {
            int id = t;
            Thread th = new Thread(() -> {
                try (Policy p = new Policy()) {
                    for (int i = 0; i < 100_000 && !stopLoad.get(); i++) {
                        String reply = p.ask(request("192.0.2." + (20 + id), "user" + i + "@example.test", ""));
                        if (!reply.equals("action=DUNNO")) {
                            loadProblems.add(reply);
                        }
                        answered.incrementAndGet();
                    }
                } catch (IOException e) {
                    // the kill closes the connection: expected, the load ends with it
                }
            }, "load-" + t);
            th.setDaemon(true);
            th.start();
            load.add(th);
        }

        pregreet(hosts("198.18.", 0, PROBERS));
        awaitBanned(hosts("198.18.", 0, PROBERS));
        try (Policy p = new Policy()) {
            // SASL users sending over the floor of 3 recipients an hour: suspended
            for (int u = 0; u < USERS; u++) {
                for (int r = 0; r < 5; r++) {
                    p.ask(request("203.0.113.50", "r" + r + "@far" + u + ".example", "user" + u));
                }
            }
        }
        assertEquals(200, http("POST", "/admin/bans", "{\"cidr\": \"198.51.100.77\", \"duration\": \"1d\"}")
                .statusCode());
        // automatic bans after the admin ban's snapshot: only the journal has them
        pregreet(hosts("198.19.", 0, 4));
        awaitBanned(hosts("198.19.", 0, 4));
        Set<String> bans = bans();
        Set<String> suspended = suspensions();
        assertTrue(bans.size() >= PROBERS + 5, "every prober and the admin ban: " + bans);
        assertTrue(bans.contains("198.51.100.77/32"), bans.toString());
        assertEquals(USERS, suspended.size(), suspended.toString());
        awaitJournalSynced(bans.size() + suspended.size());
        assertEquals(List.of(), List.copyOf(loadProblems));
        long before = answered.get();

        daemon.kill9();
        stopLoad.set(true);
        for (Thread th : load) {
            th.join(TimeUnit.SECONDS.toMillis(30));
        }
        assertTrue(before > 0, "the load ran while the bans were made");
        daemon.restart();

        Set<String> after = bans();
        assertTrue(after.containsAll(bans), "bans lost to kill -9: " + difference(bans, after));
        Set<String> suspendedAfter = suspensions();
        assertTrue(suspendedAfter.containsAll(suspended), "suspensions lost to kill -9: "
                + difference(suspended, suspendedAfter));
        assertTrue(daemon.log().contains("replayed state journal"), daemon.log());
        try (Policy p = new Policy()) {
            assertRefusedAsBanned(p, "198.19.3.5"); // a ban made only in the journal
            assertRefusedAsBanned(p, "198.18.0.5");
            String user = p.ask(request("203.0.113.50", "once@more.example", "user0"));
            assertTrue(!user.equals("action=DUNNO"), "the suspension is enforced after the restart: " + user);
        }
    }

    static Set<String> difference(Set<String> a, Set<String> b) {
        Set<String> d = new TreeSet<>(a);
        d.removeAll(b);
        return d;
    }

    @Test
    @Order(2)
    void aTornSnapshotAndATornJournalAtStartKeepTheJournalsBansAndWaitForTheAdmin() throws Exception {
        daemon.restart(); // a clean stop: a snapshot with everything so far, the journal compacted
        Path snapshot = dir.resolve("state.snapshot");
        Path journal = dir.resolve("state.snapshot.journal");
        assertTrue(Files.size(snapshot) > 100, "the clean stop wrote a snapshot");
        double synced = daemon.metric("postwarden_journal_records", "state=\"synced\"");
        pregreet(List.of("198.19.200.5"));
        awaitBanned(List.of("198.19.200.5"));
        awaitJournalSynced(synced + 1);
        daemon.kill9();

        // the snapshot torn in half (a write cut short), a record half-appended to the journal
        try (FileChannel ch = FileChannel.open(snapshot, StandardOpenOption.WRITE)) {
            ch.truncate(ch.size() / 2);
        }
        long journalBefore = Files.size(journal);
        Files.write(journal, new byte[] {0, 0, 0, 100, 12, 34, 56, 78, 0, 0, 0}, StandardOpenOption.APPEND);

        daemon.restartServing();
        HttpResponse<String> ready = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                + daemon.httpPort() + "/readyz")).timeout(Duration.ofSeconds(20)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(503, ready.statusCode(), ready.body());
        assertTrue(ready.body().contains("corrupt") && ready.body().contains("ack-corrupt"), ready.body());
        assertEquals(0.0, daemon.metric("postwarden_ready"));
        try (var files = Files.list(dir)) {
            assertTrue(files.anyMatch(f -> f.getFileName().toString().startsWith("state.snapshot.corrupt-")),
                    "the torn snapshot is kept aside");
        }
        assertTrue(daemon.log().contains("torn or corrupt record"), daemon.log());
        assertEquals(journalBefore, Files.size(journal), "the torn journal record is cut off");
        assertTrue(bans().contains("198.19.200.5/32"), "the journal's ban is served: " + bans());
        try (Policy p = new Policy()) {
            assertRefusedAsBanned(p, "198.19.200.5");
        }

        Exec.Result ack = ctl("ack-corrupt");
        assertEquals(0, ack.exitCode(), ack.describe());
        assertTrue(ack.output().contains("acknowledged"), ack.output());
        HttpResponse<String> readyAfter = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                + daemon.httpPort() + "/readyz")).timeout(Duration.ofSeconds(20)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, readyAfter.statusCode(), readyAfter.body());
    }
}
