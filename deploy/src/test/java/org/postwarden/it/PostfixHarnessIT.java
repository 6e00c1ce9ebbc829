package org.postwarden.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.StandardSocketOptions;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postwarden.it.harness.Exec;
import org.postwarden.it.harness.Ports;
import org.postwarden.it.harness.PostfixInstance;
import org.postwarden.it.harness.Requirements;
import org.postwarden.it.harness.SinkMessage;
import org.postwarden.it.harness.SmtpSource;
import org.postwarden.it.harness.Swaks;

/** End-to-end checks of the test harness itself against a real Postfix on loopback. */
class PostfixHarnessIT {

    private static final Duration WAIT = Duration.ofSeconds(15);

    @BeforeAll
    static void requirements() {
        Requirements.requireRoot();
        Requirements.require("postfix", "postfix");
        Requirements.require("smtp-sink", "postfix");
        Requirements.require("swaks", "swaks");
    }

    @Test
    void relayDomainFromOutsideIsDeliveredToTheSink() {
        try (PostfixInstance pf = PostfixInstance.builder().start()) {
            Swaks.Result r = Swaks.to("user@example.test")
                    .from("alice@client.test")
                    .port(pf.smtpdPort())
                    .localInterface("127.0.0.1")
                    .ehlo("client.test")
                    .header("X-Harness: yes")
                    .send();
            assertTrue(r.ok(), r::toString);
            assertEquals(List.of(250), r.rcptReplies(), r::toString);
            assertTrue(r.queueId().isPresent(), r::toString);

            List<SinkMessage> delivered = pf.awaitDelivered(1, WAIT);
            assertEquals(1, delivered.size());
            SinkMessage m = delivered.get(0);
            assertEquals(List.of("user@example.test"), m.recipients());
            assertEquals("alice@client.test", m.sender());
            assertEquals("yes", m.header("X-Harness").orElse(null), m::text);
            pf.awaitLog(Pattern.compile(r.queueId().get() + ": to=<user@example.test>.*status=sent"), WAIT);
        }
    }

    @Test
    void otherDomainFromOutsideIsRelayAccessDenied() {
        try (PostfixInstance pf = PostfixInstance.builder().start()) {
            Swaks.Result r = Swaks.to("user@elsewhere.test").port(pf.smtpdPort()).localInterface("127.0.0.1").send();
            assertEquals(24, r.exitCode(), r::toString);
            assertEquals(List.of(554), r.rcptReplies(), r::toString);
            assertTrue(r.contains("554 5.7.1 <user@elsewhere.test>: Relay access denied"), r::toString);
            pf.awaitLog(Pattern.compile("NOQUEUE: reject: RCPT from unknown\\[127\\.0\\.0\\.1\\]: 554 5\\.7\\.1"), WAIT);
            assertTrue(pf.deliveredMessages().isEmpty());
            assertTrue(pf.queueJson().isEmpty());

            // the same from a client in mynetworks (127.0.0.2) is relayed
            Swaks.Result inside = Swaks.to("user@elsewhere.test").port(pf.smtpdPort()).localInterface("127.0.0.2")
                    .send();
            assertTrue(inside.ok(), inside::toString);
            assertEquals(List.of("user@elsewhere.test"), pf.awaitDelivered(1, WAIT).get(0).recipients());
        }
    }

    @Test
    void policyServiceDownFallsBackToDefaultActionDunno() {
        // a policy service that is down: nobody listens on this port
        int closedPort = Ports.closedPort();
        try (PostfixInstance pf = PostfixInstance.builder()
                .mainCf("smtpd_recipient_restrictions", "check_policy_service { inet:127.0.0.1:" + closedPort
                        + ", default_action=DUNNO }, reject_unauth_destination")
                .start()) {
            Swaks.Result r = Swaks.to("user@example.test").port(pf.smtpdPort()).localInterface("127.0.0.1").send();
            assertTrue(r.ok(), r::toString);
            pf.awaitDelivered(1, WAIT);
            pf.awaitLog(Pattern.compile("warning: problem talking to server 127\\.0\\.0\\.1:" + closedPort), WAIT);
        }
    }

    @Test
    void saslSubmissionWithDovecot() {
        Requirements.require("dovecot", "dovecot-core");
        try (PostfixInstance pf = PostfixInstance.builder().saslUser("alice", "s3cret").start()) {
            Swaks.Result good = Swaks.to("user@elsewhere.test").port(pf.submissionPort())
                    .localInterface("127.0.0.3").auth("alice", "s3cret").send();
            assertTrue(good.ok(), good::toString);
            assertEquals(List.of(235), good.repliesTo("AUTH"), good::toString);
            assertEquals(List.of("user@elsewhere.test"), pf.awaitDelivered(1, WAIT).get(0).recipients());
            pf.awaitLog(Pattern.compile("sasl_method=PLAIN, sasl_username=alice"), WAIT);

            Swaks.Result bad = Swaks.to("user@elsewhere.test").port(pf.submissionPort())
                    .localInterface("127.0.0.4").auth("alice", "wrong").send();
            assertEquals(28, bad.exitCode(), bad::toString);
            assertTrue(bad.contains("535 5.7.8"), bad::toString);
            pf.awaitLog(Pattern.compile("\\[127\\.0\\.0\\.4\\]: SASL (PLAIN|LOGIN) authentication failed"), WAIT);

            Swaks.Result login = Swaks.to("user@example.test").port(pf.submissionPort())
                    .authType("LOGIN").auth("alice", "wrong").send();
            assertEquals(28, login.exitCode(), login::toString);
            pf.awaitLog(Pattern.compile("SASL LOGIN authentication failed"), WAIT);

            Swaks.Result noAuth = Swaks.to("user@elsewhere.test").port(pf.submissionPort()).send();
            assertEquals(List.of(554), noAuth.rcptReplies(), noAuth::toString);
            assertEquals(1, pf.deliveredMessages().size());
        }
    }

    @Test
    void queueToolsSeeDeferredMail() {
        // defer_transports: mail waits in the deferred queue until an explicit flush
        try (PostfixInstance pf = PostfixInstance.builder().mainCf("defer_transports", "relay, smtp").start()) {
            String first = sendDeferred(pf, "first@example.test");
            List<String> queue = pf.queueJson();
            assertEquals(1, queue.size(), queue::toString);
            assertTrue(queue.get(0).contains("\"queue_id\": \"" + first + "\""), queue.get(0));
            assertTrue(queue.get(0).contains("\"queue_name\": \"deferred\""), queue.get(0));

            pf.flush();
            assertEquals(List.of("first@example.test"), pf.awaitDelivered(1, WAIT).get(0).recipients());
            pf.awaitLog(Pattern.compile(first + ": removed"), WAIT);
            assertTrue(pf.queueJson().isEmpty());

            sendDeferred(pf, "second@example.test");
            assertEquals(1, pf.queueJson().size());
            assertTrue(pf.postsuper("-d", "ALL").contains("Deleted: 1 message"));
            assertTrue(pf.queueJson().isEmpty());
            assertEquals(1, pf.deliveredMessages().size());
        }
    }

    private static String sendDeferred(PostfixInstance pf, String rcpt) {
        Swaks.Result r = Swaks.to(rcpt).port(pf.smtpdPort()).send();
        assertTrue(r.ok(), r::toString);
        String id = r.queueId().orElseThrow();
        pf.awaitLog(Pattern.compile(id + ": .*status=deferred"), WAIT);
        // the queue manager logs the deferral before it moves the file from active to deferred: wait for the move
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (pf.queueJson().stream().noneMatch(q -> q.contains("\"queue_id\": \"" + id + "\"")
                && q.contains("\"queue_name\": \"deferred\"")) && System.nanoTime() < deadline) {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return id;
    }

    @Test
    void smtpSourceLoadIsDelivered() {
        Requirements.require("smtp-source", "postfix");
        try (PostfixInstance pf = PostfixInstance.builder().start()) {
            Exec.Result r = SmtpSource.to(pf.smtpdPort()).sessions(4).messages(40).run();
            assertTrue(r.ok(), r::describe);
            assertEquals(40, pf.awaitDelivered(40, Duration.ofSeconds(30)).size());
        }
    }

    @Test
    void postscreenLogsPregreetAndPassesGoodClients() throws IOException {
        try (PostfixInstance pf = PostfixInstance.builder().postscreen(true)
                .mainCf("postscreen_greet_wait", "2s")
                .mainCf("postscreen_greet_action", "enforce")
                .start()) {
            try (Socket s = new Socket()) {
                s.bind(new InetSocketAddress("127.0.0.66", 0));
                s.connect(new InetSocketAddress("127.0.0.1", pf.postscreenPort()), 2000);
                s.getOutputStream().write("EHLO early.test\r\n".getBytes(StandardCharsets.US_ASCII));
                s.getOutputStream().flush();
                pf.awaitLog(Pattern.compile("PREGREET \\d+ after [\\d.]+ from \\[127\\.0\\.0\\.66\\]:\\d+: EHLO"), WAIT);
            }
            Swaks.Result r = Swaks.to("user@example.test").port(pf.postscreenPort()).localInterface("127.0.0.67")
                    .send();
            assertTrue(r.ok(), r::toString);
            pf.awaitDelivered(1, WAIT);
            pf.awaitLog(Pattern.compile("postfix/postscreen-smtpd/smtpd\\[\\d+\\]: connect from unknown\\[127\\.0\\.0\\.67\\]"),
                    WAIT);
        }
    }

    @Test
    void aPortThatAnotherProcessListensOnAsWellIsNotUsed() throws IOException {
        // master and smtp-sink set SO_REUSEPORT, so they bind a port that another SO_REUSEPORT socket holds without
        // an error, and would share its connections: the harness sees the other listener and starts again (with
        // this fixed port every attempt fails, and the start gives up after a bounded number of them)
        try (ServerSocket other = new ServerSocket()) {
            other.setOption(StandardSocketOptions.SO_REUSEPORT, true);
            other.bind(new InetSocketAddress("127.0.0.1", 0));
            int port = other.getLocalPort();
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> PostfixInstance.builder().smtpdPort(port).start().close());
            assertTrue(e.getMessage().contains("port taken at each of " + Ports.BIND_ATTEMPTS + " attempts")
                    && e.getMessage().contains("smtpd listens on 127.0.0.1:" + port
                            + ", but another process listens there as well"), e.getMessage());
            Matcher m = Pattern.compile("postfix instance (/tmp/pw-[0-9a-f]+)").matcher(e.getMessage());
            assertTrue(m.find(), e.getMessage());
            String dir = m.group(1);
            assertFalse(Files.exists(Path.of(dir)), dir + " not deleted");
            List<ProcessHandle> left = ProcessHandle.allProcesses()
                    .filter(h -> h.info().commandLine().orElse("").contains(dir + "/")).toList();
            assertTrue(left.isEmpty(), left::toString);
        }
    }

    @Test
    void instancesRunOneAfterAnotherOnTheSamePortAndLeaveNothingBehind() throws IOException {
        // the first instance picks its port (retrying when it was taken); the next one gets the port it released
        int port = -1;
        for (int i = 0; i < 2; i++) {
            Path dir;
            PostfixInstance.Builder b = PostfixInstance.builder().saslUser("bob", "pw");
            if (port > 0) {
                b.smtpdPort(port);
            }
            try (PostfixInstance pf = b.start()) {
                dir = pf.baseDir();
                port = pf.smtpdPort();
                List<String> commands = pf.processes().stream()
                        .map(h -> h.info().command().orElse("?")).toList();
                // found through MAIL_CONFIG in their environment, not through their command line
                assertTrue(commands.stream().anyMatch(c -> c.endsWith("/master")), commands::toString);
                assertTrue(commands.stream().anyMatch(c -> c.endsWith("/qmgr")), commands::toString);
                assertTrue(commands.stream().anyMatch(c -> c.endsWith("/dovecot")), commands::toString);
                assertTrue(commands.stream().anyMatch(c -> c.endsWith("/smtp-sink")), commands::toString);
                assertTrue(Swaks.to("u" + i + "@example.test").port(port).send().ok());
                pf.awaitDelivered(1, WAIT);
            }
            assertFalse(Files.exists(dir), dir + " not deleted");
            String d = dir.toString();
            List<ProcessHandle> left = ProcessHandle.allProcesses()
                    .filter(h -> h.info().commandLine().orElse("").contains(d)).toList();
            assertTrue(left.isEmpty(), left::toString);
            int released = port;
            assertThrows(IOException.class, () -> {
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress("127.0.0.1", released), 1000);
                }
            });
        }
    }
}
