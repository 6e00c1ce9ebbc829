package org.postwarden.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.postwarden.config.load.ConfigLoader;
import org.postwarden.it.harness.Exec;
import org.postwarden.it.harness.PostfixInstance;
import org.postwarden.it.harness.Requirements;
import org.postwarden.it.harness.SinkMessage;
import org.postwarden.it.harness.Swaks;
import org.postwarden.model.Cidr;
import org.postwarden.model.ClientKey;
import org.postwarden.model.KeyLevel;
import org.postwarden.model.TimeSource;
import org.postwarden.reputation.memory.MemoryReputationStore;
import org.postwarden.reputation.memory.SnapshotFile;
import org.postwarden.rules.Rules;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * End to end: a real Postfix with {@code smtpd_milters} pointing at the real daemon (a separate JVM), the milter
 * alone (no policy service), swaks as the client, clients on distinct 127.0.0.x addresses. The daemon starts from
 * a state snapshot holding one ban. Then miltertest (Debian package {@code miltertest}) drives the milter directly.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MilterIT {
    static final Duration WAIT = Duration.ofSeconds(20);
    static final String BANNED = "127.0.0.66";
    static Path dir;
    static DaemonProcess daemon;
    static PostfixInstance postfix;

    static String config() {
        return """
                # every client here is a 127.0.0.x address: not in networks.trusted (the default holds all of
                # 127.0.0.0/8), which is never refused by a ban
                networks: {local-domains: [example.test], trusted: [127.0.0.2/32]}
                milter:
                  listen: 127.0.0.1:0
                  max-concurrent-per-client: 2
                  header: {enabled: true}
                  identical-messages: [{window: 1h, max: 1}]
                """;
    }

    @BeforeAll
    static void start() throws Exception {
        Requirements.requireRoot();
        Requirements.require("postfix", "postfix");
        Requirements.require("swaks", "swaks");
        dir = Files.createTempDirectory("pw-milter-it");
        writeSnapshotWithBan(dir.resolve("state.snapshot"), BANNED);
        // the daemon first: its milter port (bound on port 0) goes into main.cf
        daemon = DaemonProcess.start(dir, config());
        assertTrue(daemon.log().contains("milter listener on 127.0.0.1:" + daemon.milterPort()), daemon.log());
        postfix = PostfixInstance.builder()
                .mainCf("smtpd_milters", "inet:127.0.0.1:" + daemon.milterPort())
                .mainCf("milter_protocol", "6")
                .mainCf("milter_default_action", "accept")
                .mainCf("milter_connect_timeout", "5s")
                .mainCf("milter_command_timeout", "10s")
                .mainCf("milter_content_timeout", "30s")
                .saslUser("alice", "s3cret")
                .start();
    }

    /** A ban can only come from state today (no admin API yet): write it into the snapshot the daemon restores. */
    static void writeSnapshotWithBan(Path file, String ip) throws Exception {
        Rules rules = new Rules(ConfigLoader.load("it", config()));
        MemoryReputationStore store = new MemoryReputationStore(rules.storeSettings(), TimeSource.SYSTEM);
        store.ban(ClientKey.of(Cidr.parseAddress(ip), KeyLevel.HOST, 48), Duration.ofHours(1), "admin",
                "end-to-end test");
        new SnapshotFile(file).save(store);
    }

    @AfterAll
    static void stop() throws Exception {
        if (postfix != null) {
            postfix.close();
        }
        if (daemon != null) {
            daemon.stop();
        }
        if (dir != null) {
            try (var files = Files.walk(dir)) {
                for (Path f : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(f);
                }
            }
        }
    }

    static Swaks.Request mail(String client, String rcpt) {
        return Swaks.to(rcpt).port(postfix.smtpdPort()).localInterface(client).ehlo("mail.client.test")
                .from("sender@client.test").timeout(WAIT);
    }

    static SinkMessage delivered(String queueIdAtPostfix, String rcpt) {
        postfix.awaitLog(Pattern.compile(queueIdAtPostfix + ": to=<" + Pattern.quote(rcpt) + ">.*status=sent"), WAIT);
        return postfix.deliveredMessages().stream().filter(m -> m.recipients().contains(rcpt)).findFirst()
                .orElseThrow(() -> new AssertionError(rcpt + " not at the sink"));
    }

    @Test
    @Order(1)
    void theReportHeaderAppearsInDeliveredMail() throws Exception {
        Swaks.Result r = mail("127.0.0.10", "alice@example.test").send();
        assertEquals(0, r.exitCode(), r.transcript());
        SinkMessage m = delivered(r.queueId().orElseThrow(), "alice@example.test");
        String report = m.header("X-Postwarden-Report").orElseThrow(() -> new AssertionError(m.text()));
        assertTrue(report.matches("score=\\d+\\.\\d action=pass reasons=none"), report);
        assertTrue(daemon.metric("postwarden_decisions_total", "source=\"milter\"", "stage=\"end-of-message\"") >= 1);
        assertTrue(daemon.metric("postwarden_milter_replies_total", "reply=\"add-header\"") >= 1);
    }

    @Test
    @Order(2)
    void aBannedClientIsRefusedAtConnectWhileOthersAreServed() throws Exception {
        Swaks.Result banned = mail(BANNED, "bob@example.test").send();
        assertTrue(banned.contains("<** 554 ") && banned.contains("not accepting connections"),
                "a 5xx at connect makes Postfix refuse the greeting:\n" + banned.transcript());
        assertTrue(postfix.deliveredMessages().stream().noneMatch(m -> m.recipients().contains("bob@example.test")));
        postfix.awaitLog(Pattern.compile("milter-reject: CONNECT from .*\\[" + Pattern.quote(BANNED)
                + "\\]: 550 5\\.7\\.1 client network " + Pattern.quote(BANNED) + "/32 is banned"), WAIT);
        Swaks.Result other = mail("127.0.0.11", "carol@example.test").send();
        assertEquals(0, other.exitCode(), other.transcript());
        assertTrue(daemon.metric("postwarden_decisions_total", "source=\"milter\"", "stage=\"connect\"",
                "action=\"reject\"", "reason=\"ban\"") >= 1);
    }

    /** An SMTP session held open: connected and greeted, so Postfix has told the milter about it. */
    static Socket openSession(String client) throws Exception {
        Socket s = new Socket();
        s.bind(new InetSocketAddress(client, 0));
        s.connect(new InetSocketAddress("127.0.0.1", postfix.smtpdPort()), 5000);
        s.setSoTimeout((int) WAIT.toMillis());
        String banner = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII))
                .readLine();
        assertTrue(banner != null && banner.startsWith("220 "), String.valueOf(banner));
        return s;
    }

    @Test
    @Order(3)
    void theNextConcurrentSessionOfOneClientIsRefusedWhileAnotherClientIsServed() throws Exception {
        List<Socket> held = new ArrayList<>();
        try {
            held.add(openSession("127.0.0.20"));
            held.add(openSession("127.0.0.20"));
            Swaks.Result third = mail("127.0.0.20", "dave@example.test").send();
            assertEquals(List.of(450), third.repliesTo("MAIL"), third.transcript());
            assertTrue(third.contains("4.7.1 too many concurrent connections: 3 open, at most 2 per host"
                    + " (127.0.0.20/32)"), third.transcript());
            Swaks.Result other = mail("127.0.0.21", "erin@example.test").send();
            assertEquals(0, other.exitCode(), "another client is served:\n" + other.transcript());
        } finally {
            for (Socket s : held) {
                try (OutputStream out = s.getOutputStream()) {
                    out.write("QUIT\r\n".getBytes(StandardCharsets.US_ASCII));
                }
                s.close();
            }
        }
        awaitOpenMilterConnections(0);
        Swaks.Result again = mail("127.0.0.20", "dave@example.test").send();
        assertEquals(0, again.exitCode(), "after the sessions closed:\n" + again.transcript());
        assertTrue(daemon.metric("postwarden_decisions_total", "reason=\"concurrent\"") >= 1);
    }

    static void awaitOpenMilterConnections(double n) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (daemon.metric("postwarden_milter_connections") != n) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("milter connections never reached " + n + ": "
                        + daemon.metric("postwarden_milter_connections"));
            }
            Thread.sleep(50);
        }
    }

    @Test
    @Order(4)
    void aQuarantinedMessageLandsInTheHoldQueue() throws Exception {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            Swaks.Result r = Swaks.to("frank@example.test").port(postfix.submissionPort()).localInterface("127.0.0.30")
                    .ehlo("laptop.client.test").from("alice@client.test").auth("alice", "s3cret")
                    .header("Subject: Quarterly numbers").body("Please find the numbers attached.").timeout(WAIT)
                    .send();
            assertEquals(0, r.exitCode(), r.transcript());
            ids.add(r.queueId().orElseThrow());
        }
        delivered(ids.get(0), "frank@example.test");
        postfix.awaitLog(Pattern.compile(ids.get(1) + ": milter-hold: END-OF-MESSAGE"), WAIT);
        List<String> queue = postfix.queueJson();
        assertTrue(queue.stream().anyMatch(j -> j.contains("\"queue_name\": \"hold\"")
                && j.contains("\"queue_id\": \"" + ids.get(1) + "\"")), queue.toString());
        assertTrue(daemon.metric("postwarden_decisions_total", "action=\"hold\"",
                "reason=\"identical-messages\"") >= 1);
        postfix.postsuper("-d", ids.get(1));
    }

    @Test
    @Order(5)
    void milterDrivenDirectlyByMiltertest() throws Exception {
        Requirements.require("miltertest", "miltertest");
        Path script = dir.resolve("milter.lua");
        Files.writeString(script, """
                local spec = "inet:%d@127.0.0.1"
                -- a banned client is refused at connect
                local c = mt.connect(spec)
                assert(c ~= nil, "connect")
                mt.macro(c, SMFIC_CONNECT, "{client_addr}", "%s", "{client_port}", "4000")
                assert(mt.conninfo(c, "banned.example", "%s") == nil, "conninfo")
                assert(mt.getreply(c) == SMFIR_REPLYCODE, "banned client not refused")
                mt.disconnect(c)
                -- a clean authenticated message: report header; the second identical one is quarantined
                for i = 1, 2 do
                  local m = mt.connect(spec)
                  mt.macro(m, SMFIC_CONNECT, "{client_addr}", "127.0.0.40", "{client_port}", tostring(5000 + i))
                  assert(mt.conninfo(m, "laptop.example", "127.0.0.40") == nil)
                  assert(mt.getreply(m) == SMFIR_CONTINUE, "connect")
                  assert(mt.helo(m, "laptop.client.test") == nil)
                  assert(mt.getreply(m) == SMFIR_CONTINUE, "helo")
                  mt.macro(m, SMFIC_MAIL, "i", "MT" .. i, "{auth_authen}", "mtuser")
                  assert(mt.mailfrom(m, "<mtuser@client.test>") == nil)
                  assert(mt.getreply(m) == SMFIR_CONTINUE, "mail")
                  mt.macro(m, SMFIC_RCPT, "i", "MT" .. i)
                  assert(mt.rcptto(m, "<someone@example.test>") == nil)
                  assert(mt.getreply(m) == SMFIR_CONTINUE, "rcpt")
                  assert(mt.data(m) == nil)
                  -- no mt.eoh: the milter declined the end-of-headers event, and Postfix does not send it either
                  assert(mt.header(m, "Subject", "same old") == nil)
                  assert(mt.bodystring(m, "same body\\r\\n") == nil)
                  assert(mt.eom(m) == nil)
                  assert(mt.getreply(m) == SMFIR_CONTINUE, "eom")
                  assert(mt.eom_check(m, MT_HDRADD, "X-Postwarden-Report"), "report header")
                  assert(mt.eom_check(m, MT_QUARANTINE) == (i == 2), "quarantine on the second copy only")
                  mt.disconnect(m)
                end
                mt.echo("miltertest: all checks passed")
                """.formatted(daemon.milterPort(), BANNED, BANNED));
        Exec.Result r = Exec.run(WAIT, "miltertest", "-s", script.toString());
        assertEquals(0, r.exitCode(), r.output() + "\ndaemon log:\n" + daemon.log());
        assertTrue(r.output().contains("all checks passed"), r.output());
    }

    @Test
    @Order(6)
    void mailFlowsUnfilteredWhileTheDaemonIsDown() throws Exception {
        assertEquals(0, daemon.stop(), "clean exit on SIGTERM:\n" + daemon.log());
        Swaks.Result r = mail("127.0.0.50", "grace@example.test").send();
        assertEquals(0, r.exitCode(), r.transcript());
        SinkMessage m = delivered(r.queueId().orElseThrow(), "grace@example.test");
        assertTrue(m.header("X-Postwarden-Report").isEmpty(), "not filtered:\n" + m.text());
        postfix.awaitLog(Pattern.compile("warning: connect to Milter service inet:127\\.0\\.0\\.1:"
                + daemon.milterPort()), WAIT);
        // the restarted daemon may have another milter port: point Postfix at it
        daemon.restart();
        postfix.postconf("-e", "smtpd_milters=inet:127.0.0.1:" + daemon.milterPort());
        postfix.reload();
    }
}
