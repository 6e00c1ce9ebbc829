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
import org.postwarden.it.harness.PostfixInstance;
import org.postwarden.it.harness.Requirements;
import org.postwarden.it.harness.Swaks;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
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
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * End to end, issue 20 part 2: a TLS-handshake flood through a real Postfix, read from its mail log.
 *
 * <p>Postfix has a test certificate (made here with {@code openssl req -x509}), STARTTLS on its smtpd port and a
 * second smtpd with {@code smtpd_tls_wrappermode=yes} (port 465 style); the policy server is asked at CONNECT
 * ({@code smtpd_delay_reject = no}) and RCPT. The flood is bounded and comes from 127.0.0.x addresses outside
 * {@code networks.trusted}, in four kinds: {@code openssl s_client -starttls smtp} and {@code openssl s_client} on the
 * wrapper-mode port, both aborting the handshake (they refuse the self-signed certificate:
 * {@code -verify_return_error}), garbage after STARTTLS, and half a ClientHello on the wrapper-mode port. Postfix 3.7
 * logs each as {@code SSL_accept error from unknown[…]: -1} (or {@code : lost connection}) followed by
 * {@code lost connection after STARTTLS} (or {@code after CONNECT}); the log ingester scores the first (tls-failure,
 * 2 points) per host and, with the crowd rule, per /24. The flooder is banned and refused at its next connection;
 * alone it does not move its neighbours; three more hosts make the /24 a crowd that defers a first-time sender; the
 * trusted host is never refused; {@code postwarden replay} of the same mail log names the flooder and the ban.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TlsFloodIT {
    static final Duration WAIT = Duration.ofSeconds(30);
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final String TRUSTED = "127.0.0.2";
    static final String FLOODER = "127.0.0.31";
    static final List<String> SPREADERS = List.of("127.0.0.41", "127.0.0.42", "127.0.0.43");
    static final String NEIGHBOUR = "127.0.0.60";
    static final String FIRST_TIMER = "127.0.0.61";
    /**
     * The flooder's aborted handshakes: 11 x 2 points = 22 (less a little decay), over bans.threshold (20) with the
     * last one only (10 make 19.99), so that the ban cannot come in the middle of the flood. The STARTTLS kinds come
     * first, while its own score is below the defer level (8): at 8, the policy server defers it at CONNECT, and a
     * deferred client gets no STARTTLS any more. On the wrapper-mode port the handshake comes before any reply, so
     * it fails (and is logged) whatever the policy says.
     */
    static final List<Kind> FLOOD = List.of(Kind.S_CLIENT_STARTTLS, Kind.GARBAGE_AFTER_STARTTLS,
            Kind.S_CLIENT_WRAPPED, Kind.HALF_CLIENT_HELLO, Kind.S_CLIENT_WRAPPED, Kind.HALF_CLIENT_HELLO,
            Kind.S_CLIENT_WRAPPED, Kind.HALF_CLIENT_HELLO, Kind.S_CLIENT_WRAPPED, Kind.HALF_CLIENT_HELLO,
            Kind.S_CLIENT_WRAPPED);
    /**
     * Per spreader: 4 x 2 = 8 points each, far from a ban; with the flooder's capped 20 the /24 holds 44. Only the
     * wrapper-mode kinds: once the /24 is a crowd, the policy defers its hosts at CONNECT.
     */
    static final List<Kind> SPREAD = List.of(Kind.S_CLIENT_WRAPPED, Kind.HALF_CLIENT_HELLO, Kind.S_CLIENT_WRAPPED,
            Kind.HALF_CLIENT_HELLO);

    /** The ways a handshake is aborted. */
    enum Kind { S_CLIENT_STARTTLS, S_CLIENT_WRAPPED, GARBAGE_AFTER_STARTTLS, HALF_CLIENT_HELLO }

    static Path dir;
    static DaemonProcess daemon;
    static PostfixInstance postfix;

    @BeforeAll
    static void start() throws Exception {
        Requirements.requireRoot();
        Requirements.require("postfix", "postfix");
        Requirements.require("swaks", "swaks");
        Requirements.require("openssl", "openssl");
        dir = Files.createTempDirectory("pw-tls-it");
        Exec.run(Duration.ofSeconds(60), "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                "-subj", "/CN=pw-test.localdomain", "-keyout", dir.resolve("key.pem").toString(),
                "-out", dir.resolve("cert.pem").toString()).requireOk();
        daemon = DaemonProcess.start(dir, """
                milter: {enabled: false}
                networks:
                  local-domains: [example.test]
                  trusted: [127.0.0.2/32]
                ingest:
                  files: [%1$s/maillog]
                  poll-interval: 100ms
                  state-path: %1$s/ingest.offsets
                bans: {scanners: {enabled: false}}
                outbound: {state-path: ""}
                """.formatted(dir));
        String policy = "check_policy_service { inet:127.0.0.1:" + daemon.policyPort()
                + ", timeout=10s, default_action=DUNNO }";
        postfix = PostfixInstance.builder()
                .mainCf("smtpd_tls_security_level", "may")
                .mainCf("smtpd_tls_cert_file", dir.resolve("cert.pem").toString())
                .mainCf("smtpd_tls_key_file", dir.resolve("key.pem").toString())
                .mainCf("smtpd_delay_reject", "no")
                .mainCf("smtpd_client_restrictions", policy)
                .mainCf("smtpd_recipient_restrictions", policy)
                .smtpd("smtps", "smtpd_tls_wrappermode=yes", "smtpd_tls_security_level=encrypt")
                .masterCf("tlsmgr    unix  -       -       n       1000?   1       tlsmgr")
                .start();
        Files.createSymbolicLink(dir.resolve("maillog"), postfix.maillog());
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

    static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + WAIT + ": " + what + "\nmaillog:\n"
                        + postfix.maillogText() + "\ndaemon log:\n" + daemon.log());
            }
            Thread.sleep(100);
        }
    }

    static JsonNode admin(String path) throws Exception {
        String token = Files.readString(dir.resolve("state/admin.token")).trim();
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + daemon.httpPort()
                + path)).header("Authorization", "Bearer " + token).timeout(Duration.ofSeconds(20)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return JSON.readTree(r.body());
    }

    static JsonNode network() {
        try {
            return admin("/admin/explain?ip=127.0.0.99").path("network");
        } catch (Exception e) {
            return JSON.createObjectNode();
        }
    }

    static String bans() {
        try {
            return admin("/admin/bans").toString();
        } catch (Exception e) {
            return "";
        }
    }

    /** SSL_accept error lines for {@code client} in the mail log so far. */
    static int acceptErrors(String client) {
        return postfix.logLines(Pattern.compile("SSL_accept error from unknown\\[" + Pattern.quote(client)
                + "\\]")).size();
    }

    /** Aborts a handshake of {@code client} in the way {@code kind} and waits for Postfix's log line. */
    static void abortHandshake(String client, Kind kind) throws Exception {
        int before = acceptErrors(client);
        switch (kind) {
            case S_CLIENT_STARTTLS -> sClient(client, postfix.smtpdPort(), true);
            case S_CLIENT_WRAPPED -> sClient(client, postfix.smtpdPort("smtps"), false);
            case GARBAGE_AFTER_STARTTLS -> garbageAfterStarttls(client);
            case HALF_CLIENT_HELLO -> halfClientHello(client);
        }
        postfix.awaitLog(Pattern.compile("SSL_accept error from unknown\\[" + Pattern.quote(client) + "\\]"),
                before + 1, WAIT);
    }

    /** {@code openssl s_client}, refusing the self-signed certificate: it aborts the handshake with an alert. */
    static void sClient(String client, int port, boolean starttls) {
        List<String> cmd = new java.util.ArrayList<>(List.of("openssl", "s_client", "-connect", "127.0.0.1:" + port,
                "-bind", client + ":0", "-verify_return_error", "-verify", "1", "-servername", "pw-test.localdomain"));
        if (starttls) {
            cmd.addAll(List.of("-starttls", "smtp"));
        }
        Exec.Result r = Exec.run(Duration.ofSeconds(20), cmd);
        assertFalse(r.ok(), "the handshake must fail on the client's side: " + r.describe());
        assertTrue(r.output().contains("self-signed certificate") || r.output().contains("verify error"),
                r.describe());
    }

    static Socket connect(String client, int port) throws IOException {
        Socket s = new Socket();
        s.bind(new InetSocketAddress(client, 0));
        s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        s.setSoTimeout(10_000);
        return s;
    }

    static String reply(BufferedReader in) throws IOException {
        String line;
        do {
            line = in.readLine();
        } while (line != null && line.length() > 3 && line.charAt(3) == '-');
        return line;
    }

    /** EHLO, STARTTLS, then an HTTP request instead of a ClientHello. */
    static void garbageAfterStarttls(String client) throws IOException {
        try (Socket s = connect(client, postfix.smtpdPort())) {
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(),
                    StandardCharsets.US_ASCII));
            OutputStream out = s.getOutputStream();
            assertTrue(reply(in).startsWith("220"));
            out.write("EHLO bot.client.test\r\n".getBytes(StandardCharsets.US_ASCII));
            assertTrue(reply(in).startsWith("250"));
            out.write("STARTTLS\r\n".getBytes(StandardCharsets.US_ASCII));
            String ready = reply(in);
            assertTrue(ready.startsWith("220"), ready);
            out.write("GET / HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            try {
                s.getInputStream().read();
            } catch (IOException reset) {
                // Postfix drops the connection: that is the point
            }
        }
    }

    /** The first bytes of a TLS ClientHello record on the wrapper-mode port, then a close. */
    static void halfClientHello(String client) throws IOException {
        try (Socket s = connect(client, postfix.smtpdPort("smtps"))) {
            s.getOutputStream().write(new byte[] {0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, (byte) 0xfc, 0x03,
                    0x03});
            s.getOutputStream().flush();
        }
    }

    static Swaks.Result mail(String client, String rcpt) {
        return Swaks.to(rcpt).port(postfix.smtpdPort()).localInterface(client).ehlo("mail.client.test")
                .from("sender@client.test").timeout(Duration.ofSeconds(30)).send();
    }

    @Test
    @Order(1)
    void theFloodingHostIsBannedAndRefusedAtItsNextConnection() throws Exception {
        for (Kind k : FLOOD) {
            abortHandshake(FLOODER, k);
        }
        assertEquals(FLOOD.size(), acceptErrors(FLOODER));
        assertEquals(FLOOD.size(), postfix.logLines(Pattern.compile(
                "lost connection after (STARTTLS|CONNECT) from unknown\\[" + Pattern.quote(FLOODER) + "\\]")).size(),
                "Postfix logs both lines for each failed handshake");
        await(() -> bans().contains(FLOODER + "/32"), "the flooder banned from the log");
        JsonNode explain = admin("/admin/explain?ip=" + FLOODER);
        assertTrue(explain.toString().contains("tls-failure"), explain.toString());
        double score = explain.path("keys").get(0).path("score").asDouble();
        assertTrue(score > 21 && score <= 22.0001, "each handshake counted once (2 points), not per log line: "
                + explain);

        Swaks.Result next = mail(FLOODER, "someone@example.test");
        assertFalse(next.ok(), next.toString());
        assertTrue(next.contains("client network " + FLOODER + "/32 is banned"), next.toString());
        assertTrue(next.contains("tls-failure"), "the ban names its reason: " + next);
        postfix.awaitLog(Pattern.compile("NOQUEUE: reject: CONNECT from unknown\\[" + Pattern.quote(FLOODER)
                + "\\]: 550 5\\.7\\.1 .*is banned"), WAIT);
    }

    @Test
    @Order(2)
    void oneFloodingHostAloneDoesNotMoveItsNeighbours() throws Exception {
        JsonNode net = network();
        assertEquals(1, net.path("contributors").asInt(), net.toString());
        assertTrue(net.path("score").asDouble() <= 20.0001, "the flooder's share is capped: " + net);
        Swaks.Result neighbour = mail(NEIGHBOUR, "neighbour@example.test");
        assertTrue(neighbour.ok(), neighbour.toString());
    }

    @Test
    @Order(3)
    void aCrowdOfFloodingHostsDefersAFirstTimeSenderButNeverTheTrustedHost() throws Exception {
        for (String s : SPREADERS) {
            for (Kind k : SPREAD) {
                abortHandshake(s, k);
            }
        }
        await(() -> network().path("contributors").asInt() >= 4 && network().path("score").asDouble() >= 24,
                "the /24 has a crowd and a score at the defer level (8 x subnet-factor 3)");
        for (String s : SPREADERS) {
            assertFalse(bans().contains(s + "/32"), "8 points are no ban: " + bans());
        }
        assertFalse(bans().contains("127.0.0.0/24"), "the /24 holds the trusted host: never banned");
        Swaks.Result first = mail(FIRST_TIMER, "first@example.test");
        assertFalse(first.ok(), first.toString());
        assertTrue(first.contains("450 4.7.1") && first.contains("subnet 127.0.0.0/24"), first.toString());
        Swaks.Result trusted = mail(TRUSTED, "web@example.test");
        assertTrue(trusted.ok(), trusted.toString());
    }

    @Test
    @Order(4)
    void theReplayOfTheMailLogNamesTheFlooderAndItsBan() throws Exception {
        String jar = System.getProperty("postwarden.jar", "target/postwarden.jar");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path log = postfix.maillog();
        Exec.Result json = Exec.run(Duration.ofSeconds(120), java, "-jar", jar, "replay", "--config",
                daemon.config().toString(), "--format", "json", "--quiet", log.toString());
        assertTrue(json.ok(), json.describe());
        JsonNode r = JSON.readTree(json.output().substring(json.output().indexOf('{')));
        JsonNode tls = r.at("/categories/tls");
        assertEquals(FLOOD.size() + SPREADERS.size() * SPREAD.size(), tls.path("events").asInt(),
                "one event per failed handshake: " + tls);
        assertEquals(FLOODER, tls.at("/top_addresses/0/key").asText(), tls.toString());
        assertEquals(FLOOD.size(), tls.at("/top_addresses/0/count").asInt(), tls.toString());
        assertEquals("127.0.0.0/24", tls.at("/top_networks/0/key").asText(), tls.toString());
        boolean banned = false;
        for (JsonNode b : r.path("bans")) {
            banned |= b.path("network").asText().equals(FLOODER + "/32") && b.path("reason").asText()
                    .equals("tls-failure");
        }
        assertTrue(banned, "the replay would have banned the flooder: " + r.path("bans"));
        assertFalse(r.path("bans").toString().contains(TRUSTED), r.path("bans").toString());

        Exec.Result text = Exec.run(Duration.ofSeconds(120), java, "-jar", jar, "replay", "--config",
                daemon.config().toString(), log.toString());
        assertTrue(text.ok(), text.describe());
        int all = FLOOD.size() + SPREADERS.size() * SPREAD.size();
        assertTrue(text.output().contains("TLS (handshake failures): " + all), text.output());
        assertTrue(text.output().contains(FLOODER), text.output());
    }
}
