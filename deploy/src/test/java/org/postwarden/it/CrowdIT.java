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

import java.io.IOException;
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
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * End to end, issue 14: what is judged per host, per network and per user, through a real Postfix with the policy
 * server (at CONNECT, RCPT and end of data) and the milter on every smtpd, postscreen in front of one, two SASL
 * submission services (one recognised by its port, {@code networks.submission-ports}, one by
 * {@code milter_macro_daemon_name=ORIGINATING}) and the log ingester following Postfix's log.
 *
 * <p>Every client is a 127.0.0.x address, so they all share one /24 (127.0.0.0/24) — the network of the test. The
 * daemon runs with {@code milter.connect-refusal: reject}, so a milter defer at connect would turn into a 550 unless
 * it is a network-level refusal (which must stay a 4xx). The regression tests of the two defects of the issue are
 * {@link #oneHostsThreeThousandRecipientsChangeNothingForItsNeighbours},
 * {@link #severalAttackKindsFromOneSlash24LeaveItsLegitimateClientsAlone} and (its last sentence)
 * {@link #anAuthenticatedUsersQuotaOverrunScoresTheUserNotItsAddress}.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CrowdIT {
    static final Duration WAIT = Duration.ofSeconds(30);
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final String TRUSTED = "127.0.0.2";       // mynetworks and networks.trusted: the site's web server
    static final String HAMMER = "127.0.0.21";       // 3,000 RCPTs in a few seconds
    static final String NEIGHBOUR = "127.0.0.22";    // a first-time sender right after it
    static final String BUSY_USER = "127.0.0.23";    // bob, over his own quota
    static final String NEXT_DOOR = "127.0.0.24";    // a first-time sender right after bob
    static final String CLEAN = "127.0.0.30";        // a sender with a clean history
    static final String BOT = "127.0.0.41";          // PREGREET
    static final String PROBER = "127.0.0.42";       // relay probes with a fake HELO
    static final String GUESSER = "127.0.0.43";      // wrong passwords for alice
    static final String USER_HOME = "127.0.0.50";    // alice, from elsewhere in the /24
    static final String USER_AWAY = "127.0.0.51";    // alice on the ORIGINATING service
    static final String FIRST_TIMER = "127.0.0.60";  // a first-time sender during the attack
    static Path dir;
    static DaemonProcess daemon;
    static PostfixInstance postfix;

    static String config(String submissionPorts) {
        return """
                milter: {listen: 127.0.0.1:0, connect-refusal: reject}
                networks:
                  local-domains: [example.test]
                  trusted: [127.0.0.2/32]
                  submission-ports: %1$s
                  clean-history-messages: 5
                ingest:
                  files: [%2$s/maillog]
                  poll-interval: 100ms
                  state-path: %2$s/ingest.offsets
                limits:
                  host: {connections: [], messages: [], recipients: [{window: 1h, max: 200}]}
                  subnet: {connections: [], messages: [], recipients: []}
                  sasl-user: {messages: [{window: 1h, max: 3}], recipients: []}
                scoring:
                  subnet-factor: 3.0
                  subnet-min-hosts: 3
                  weights: {pregreet: 8.0, relay-attempt: 4.0, auth-failure: 7.0, limit-exceeded: 1.0}
                  thresholds: {tag: 3.0, defer: 8.0, reject: 15.0}
                bans:
                  threshold: 20.0              # also the most one host adds to its /24
                  subnet-min-hosts: 3
                  scanners: {enabled: false}   # no DNS here
                outbound: {state-path: ""}
                """.formatted(submissionPorts, dir);
    }

    @BeforeAll
    static void start() throws Exception {
        Requirements.requireRoot();
        Requirements.require("postfix", "postfix");
        Requirements.require("swaks", "swaks");
        Requirements.require("dovecot", "dovecot-core");
        dir = Files.createTempDirectory("pw-crowd-it");
        daemon = DaemonProcess.start(dir, config("[587, 465]"));
        String policy = "check_policy_service { inet:127.0.0.1:" + daemon.policyPort()
                + ", timeout=10s, default_action=DUNNO }";
        postfix = PostfixInstance.builder()
                .postscreen(true)
                .saslUser("alice", "s3cret")
                .saslUser("bob", "b0bb0b")
                .mainCf("postscreen_greet_wait", "2s")
                .mainCf("postscreen_greet_action", "enforce")
                .mainCf("postscreen_access_list", "permit_mynetworks")
                // the policy server at connect (smtpd_delay_reject = no), at RCPT and at the end of data
                .mainCf("smtpd_delay_reject", "no")
                .mainCf("smtpd_client_restrictions", policy)
                .mainCf("smtpd_recipient_restrictions", policy)
                .mainCf("smtpd_end_of_data_restrictions", policy)
                .mainCf("smtpd_milters", "inet:127.0.0.1:" + daemon.milterPort())
                .mainCf("milter_protocol", "6")
                // 3,000 recipients in one transaction, refused one by one without the error sleeps
                .mainCf("smtpd_recipient_limit", "5000")
                .mainCf("smtpd_soft_error_limit", "10000")
                .mainCf("smtpd_hard_error_limit", "10000")
                .mainCf("smtpd_error_sleep_time", "0")
                // a second submission service, recognised by its milter daemon name only (as in master.cf's
                // example); no policy at connect there
                .smtpd("originating", "smtpd_sasl_auth_enable=yes", "smtpd_tls_security_level=none",
                        "smtpd_tls_auth_only=no", "smtpd_sasl_security_options=noanonymous",
                        "smtpd_relay_restrictions=permit_sasl_authenticated,reject",
                        "milter_macro_daemon_name=ORIGINATING", "smtpd_client_restrictions=")
                .start();
        Files.createSymbolicLink(dir.resolve("maillog"), postfix.maillog());
        // the harness picks the submission port at start: tell the daemon (a reload keeps the store)
        rewrite(config("[" + postfix.submissionPort() + "]"));
        Exec.Result hup = Exec.run(Duration.ofSeconds(10), "kill", "-HUP", Long.toString(daemon.pid()));
        assertTrue(hup.ok(), hup.describe());
        await(() -> metric("postwarden_reloads_total", "result=\"ok\"") >= 1, "the reload with the submission port");
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

    /** Rewrites the daemon's config file, keeping the listen addresses and state path DaemonProcess wrote. */
    static void rewrite(String extraYaml) throws IOException {
        String current = Files.readString(daemon.config());
        Files.writeString(daemon.config(), current.substring(0, current.indexOf("milter:")) + extraYaml);
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
                throw new AssertionError("not within " + WAIT + ": " + what + "\ndaemon log:\n" + daemon.log());
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

    static JsonNode network() throws Exception {
        return admin("/admin/explain?ip=127.0.0.99").path("network");
    }

    static Swaks.Request mail(int port, String client, String... rcpts) {
        return Swaks.to(rcpts).port(port).localInterface(client).ehlo("mail.client.test").from("sender@client.test")
                .timeout(Duration.ofSeconds(30));
    }

    static Swaks.Result submit(int port, String client, String password) {
        return Swaks.to("someone@elsewhere.test").port(port).localInterface(client).ehlo("laptop.client.test")
                .from("alice@example.test").auth("alice", password).timeout(Duration.ofSeconds(30)).send();
    }

    /** Reply codes of every server line of the transcript (greeting included). */
    static List<Integer> codes(Swaks.Result r) {
        List<Integer> out = new ArrayList<>();
        for (String l : r.replies()) {
            if (l.length() >= 3 && Character.isDigit(l.charAt(0))) {
                out.add(Integer.parseInt(l.substring(0, 3)));
            }
        }
        return out;
    }

    /** Waits for the sink to hold a message to {@code rcpt} (Postfix relays everything it accepted to it). */
    static void awaitDeliveredTo(String rcpt) throws InterruptedException {
        await(() -> postfix.deliveredMessages().stream().anyMatch(m -> m.text().contains(rcpt)),
                "a message to " + rcpt + " at the sink");
    }

    /** Talks before the greeting on the postscreen port, then waits for postscreen's PREGREET line. */
    static void pregreet(String client, int nth) throws IOException {
        try (Socket s = new Socket()) {
            s.bind(new InetSocketAddress(client, 0));
            s.connect(new InetSocketAddress("127.0.0.1", postfix.postscreenPort()), 2000);
            s.getOutputStream().write("EHLO early.test\r\n".getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            postfix.awaitLog(Pattern.compile("PREGREET \\d+ after [\\d.]+ from \\[" + Pattern.quote(client)
                    + "\\]:\\d+: EHLO"), nth, WAIT);
        }
    }

    @Test
    @Order(1)
    void oneHostsThreeThousandRecipientsChangeNothingForItsNeighbours() throws Exception {
        String[] rcpts = IntStream.range(0, 3000).mapToObj(i -> "r" + i + "@example.test").toArray(String[]::new);
        Swaks.Result hammer = mail(postfix.smtpdPort(), HAMMER, rcpts).timeout(Duration.ofSeconds(120)).send();
        List<Integer> replies = hammer.rcptReplies();
        assertEquals(3000, replies.size(), hammer.toString().substring(0, 2000));
        // limits.host.recipients is 200 an hour, not a minute: a loaded machine may take over a minute for the 3,000
        assertEquals(200, replies.stream().filter(c -> c == 250).count(), "200 recipients an hour per host");
        assertTrue(replies.stream().allMatch(c -> c == 250 || c == 450 || c == 550), replies.stream()
                .distinct().map(String::valueOf).collect(Collectors.joining(",")));
        assertTrue(replies.contains(550), "then its own score rejects it");

        JsonNode hammered = admin("/admin/explain?ip=" + HAMMER);
        assertTrue(hammered.path("keys").get(0).path("score").asDouble() > 2500, "its own score took every refusal");
        JsonNode net = hammered.path("network");
        assertTrue(net.path("score").asDouble() <= 20.001, "its /24 got at most the cap: " + net);
        assertEquals(1, net.path("contributors").asInt(), net.toString());
        assertEquals(20.0, net.path("contributionCap").asDouble(), net.toString());

        // the defect: "550 5.7.1 poor reputation: score 2799.8 >= 45.0 for subnet 127.0.0.0/24" on the first request
        Swaks.Result neighbour = mail(postfix.smtpdPort(), NEIGHBOUR, "neighbour@example.test").send();
        assertTrue(neighbour.ok(), neighbour.toString());
        assertFalse(neighbour.contains("poor reputation"), neighbour.toString());
        awaitDeliveredTo("neighbour@example.test");
    }

    @Test
    @Order(2)
    void anAuthenticatedUsersQuotaOverrunScoresTheUserNotItsAddress() throws Exception {
        double before = network().path("score").asDouble();
        List<Swaks.Result> sent = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            sent.add(Swaks.to("list" + i + "@elsewhere.test").port(postfix.submissionPort())
                    .localInterface(BUSY_USER).ehlo("laptop.client.test").from("bob@example.test")
                    .auth("bob", "b0bb0b").timeout(Duration.ofSeconds(30)).send());
        }
        for (int i = 0; i < 3; i++) {
            assertTrue(sent.get(i).ok(), sent.get(i).toString());
        }
        for (int i = 3; i < 5; i++) {
            assertFalse(sent.get(i).ok(), sent.get(i).toString());
            assertTrue(sent.get(i).contains("450 4.7.1") && sent.get(i).contains("per sasl-user (user bob)"),
                    sent.get(i).toString());
        }
        JsonNode host = admin("/admin/explain?ip=" + BUSY_USER);
        assertEquals(0.0, host.path("keys").get(0).path("score").asDouble(), 0.001, "its address is not scored");
        assertTrue(host.path("network").path("score").asDouble() <= before + 0.001, "nor its /24");
        assertTrue(admin("/admin/explain?user=bob").path("sendingScore").asDouble() >= 1, "the user is");
        Swaks.Result next = mail(postfix.smtpdPort(), NEXT_DOOR, "next-door@example.test").send();
        assertTrue(next.ok(), "a busy user does not defer its neighbours: " + next);
    }

    @Test
    @Order(3)
    void severalAttackKindsFromOneSlash24LeaveItsLegitimateClientsAlone() throws Exception {
        // a sender with a clean history: five accepted messages before the attack
        for (int i = 0; i < 5; i++) {
            Swaks.Result r = mail(postfix.smtpdPort(), CLEAN, "clean" + i + "@example.test").send();
            assertTrue(r.ok(), r.toString());
        }
        await(() -> {
            try {
                JsonNode h = admin("/admin/explain?ip=" + CLEAN).path("history");
                return h.path("clean").asBoolean();
            } catch (Exception e) {
                return false;
            }
        }, "five accepted messages make a clean history");

        // the attack: a relay prober with a fake HELO, a SASL guesser, a PREGREET bot (the prober first: once the
        // /24 has a crowd, a first-time sender like it is deferred at MAIL and never gets to probe)
        Swaks.Result probe = Swaks.to("a@elsewhere.test", "b@elsewhere.test", "c@elsewhere.test")
                .port(postfix.smtpdPort()).localInterface(PROBER).ehlo("WIN-QX7T2B9K1L").from("x@client.test")
                .timeout(Duration.ofSeconds(30)).send();
        assertEquals(List.of(554, 554, 554), probe.rcptReplies(), probe.toString());
        for (int i = 0; i < 3; i++) {
            Swaks.Result r = submit(postfix.submissionPort(), GUESSER, "wrong" + i);
            assertEquals(28, r.exitCode(), r.toString());
        }
        pregreet(BOT, 1);
        pregreet(BOT, 2);
        await(() -> {
            try {
                JsonNode n = network();
                return n.path("contributors").asInt() >= 4 && n.path("score").asDouble() >= 24;
            } catch (Exception e) {
                return false;
            }
        }, "the /24 has a crowd (the hammer, the bot, the prober, the guesser) and a score at the defer level");
        await(() -> metric("postwarden_bans_issued_total", "reason=\"auth-failure\"") >= 1,
                "the guesser is banned (3 x 7 >= 20)");
        JsonNode net = network();
        assertTrue(net.path("judged").asBoolean(), net.toString());
        assertTrue(net.path("score").asDouble() >= 45, "above the reject level x factor: " + net);

        // the site's own web server relays through mynetworks: the milter at connect and the policy let it through
        Swaks.Result web = mail(postfix.smtpdPort(), TRUSTED, "customer@elsewhere.test").send();
        assertTrue(web.ok(), web.toString());
        awaitDeliveredTo("customer@elsewhere.test");
        // alice, whose password the guesser tried, from another address of the /24, on both submission services
        Swaks.Result home = submit(postfix.submissionPort(), USER_HOME, "s3cret");
        assertTrue(home.ok(), "recognised by networks.submission-ports: " + home);
        Swaks.Result away = Swaks.to("friend@elsewhere.test").port(postfix.smtpdPort("originating"))
                .localInterface(USER_AWAY).ehlo("laptop.client.test").from("alice@example.test")
                .auth("alice", "s3cret").timeout(Duration.ofSeconds(30)).send();
        assertTrue(away.ok(), "recognised by {daemon_name} ORIGINATING: " + away);
        awaitDeliveredTo("friend@elsewhere.test");
        // the sender with a clean history
        Swaks.Result clean = mail(postfix.smtpdPort(), CLEAN, "clean-again@example.test").send();
        assertTrue(clean.ok(), clean.toString());
        awaitDeliveredTo("clean-again@example.test");

        // a first-time sender of the /24: at most a 4xx (even with milter.connect-refusal: reject)
        Swaks.Result first = mail(postfix.smtpdPort(), FIRST_TIMER, "first@example.test").send();
        assertFalse(first.ok(), first.toString());
        assertTrue(codes(first).stream().noneMatch(c -> c >= 500), "never a 5xx: " + first);
        assertTrue(first.contains("4.7.1") && first.contains("for subnet 127.0.0.0/24"), first.toString());
        assertTrue(metric("postwarden_decisions_total", "action=\"defer\"", "reason=\"network-score\"") >= 1);
        assertEquals(0.0, metric("postwarden_decisions_total", "action=\"reject\"", "reason=\"network-score\""));

        // the guesser is refused on the submission port at connect: a ban of that very host
        Swaks.Result guesser = submit(postfix.submissionPort(), GUESSER, "s3cret");
        assertFalse(guesser.ok(), guesser.toString());
        assertTrue(guesser.contains("client network " + GUESSER + "/32 is banned"), guesser.toString());
        // nothing of the /24 was banned: its score passed the ban level (60, from 4 hosts), but it holds the
        // trusted host
        JsonNode bans = admin("/admin/bans");
        assertEquals(List.of(GUESSER + "/32"), cidrs(bans), bans.toString());
        assertTrue(daemon.log().contains("NOT banning subnet 127.0.0.0/24: 127.0.0.0/24 holds 127.0.0.2/32"),
                daemon.log());

        // ctl explain shows the network's score, its contributing hosts and the cap
        Exec.Result explain = ctl("explain", FIRST_TIMER);
        assertEquals(0, explain.exitCode(), explain.describe());
        assertTrue(explain.output().contains("network 127.0.0.0/24: score ")
                && explain.output().contains("contributing host(s), needs 3 (scoring.subnet-min-hosts); each host "
                        + "adds at most 20;"), explain.output());
    }

    @Test
    @Order(4)
    void aTrustedHostIsNeverBannedFromLogSignalsAndStillSends() throws Exception {
        double refusals = metric("postwarden_ban_refusals_total", "reason=\"trusted\"");
        for (int i = 0; i < 3; i++) {
            Swaks.Result r = submit(postfix.submissionPort(), TRUSTED, "wrong" + i);
            assertEquals(28, r.exitCode(), r.toString());
        }
        await(() -> daemon.log().contains("NOT banning host " + TRUSTED + "/32"),
                "the ban of the trusted host is refused, with a warning");
        assertTrue(metric("postwarden_ban_refusals_total", "reason=\"trusted\"") > refusals);
        assertFalse(cidrs(admin("/admin/bans")).contains(TRUSTED + "/32"));
        Swaks.Result web = mail(postfix.smtpdPort(), TRUSTED, "after@elsewhere.test").send();
        assertTrue(web.ok(), web.toString());
        awaitDeliveredTo("after@elsewhere.test");
    }

    static List<String> cidrs(JsonNode bans) {
        List<String> out = new ArrayList<>();
        for (JsonNode b : bans.path("bans")) {
            out.add(b.path("cidr").asText());
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
}
