package org.postwarden.policy;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.postwarden.policy.PolicyTestSupport.request;

/**
 * Clients that misuse the policy listener on a real loopback socket (issue 18): one that pipelines requests and
 * never reads the replies is cut off with its queued replies bounded; one that trickles a request is closed at the
 * request deadline; a normal client is answered all the while.
 */
class PolicyFloodSocketTest {
    private PolicyListener listener;
    private PolicyTestSupport support;

    /** @param fields more keys of the policy section, e.g. {@code max-queued-replies: 16} */
    private InetSocketAddress start(String fields) throws Exception {
        support = new PolicyTestSupport("policy: {listen: 127.0.0.1:0, " + fields + "}\n"
                + "networks: {local-domains: [example.test]}\n");
        listener = new PolicyListener(support.context);
        listener.start();
        return listener.boundAddress();
    }

    @AfterEach
    void stop() {
        if (listener != null) {
            listener.stop(Duration.ofSeconds(2));
        }
    }

    private static Socket connect(InetSocketAddress a) throws IOException {
        Socket s = new Socket();
        s.setReceiveBufferSize(4096); // a client that does not read fills a small buffer soon
        s.connect(a, 10_000);
        s.setSoTimeout(30_000);
        return s;
    }

    private double errors(String reason) {
        var c = support.registry.find("postwarden.protocol.errors").tags("listener", "policy", "reason", reason)
                .counter();
        return c == null ? 0 : c.count();
    }

    private static void assertAnswered(InetSocketAddress a) throws IOException {
        try (Socket s = connect(a)) {
            s.getOutputStream().write(request("RCPT", "198.51.100.30", 4000, "u@example.test")
                    .getBytes(StandardCharsets.UTF_8));
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
            assertEquals("action=DUNNO", in.readLine(), "a normal client is answered");
            assertEquals("", in.readLine());
        }
    }

    /** Reads until the server closes (true) or the client's read times out (false); a reset counts as closed. */
    private static boolean closedByServer(InputStream in) {
        try {
            byte[] buf = new byte[8192];
            while (true) {
                if (in.read(buf) < 0) {
                    return true;
                }
            }
        } catch (java.net.SocketTimeoutException stillOpen) {
            return false;
        } catch (IOException reset) {
            return true;
        }
    }

    @Test
    void aPipeliningClientThatNeverReadsIsCutOffWithItsRepliesBounded() throws Exception {
        InetSocketAddress a = start("max-queued-replies: 16");
        byte[] one = request("RCPT", "192.0.2.31", 4001, "v@example.test").getBytes(StandardCharsets.UTF_8);
        byte[] burst = new byte[one.length * 200];
        for (int i = 0; i < 200; i++) {
            System.arraycopy(one, 0, burst, i * one.length, one.length);
        }
        long sent = 0;
        try (Socket s = connect(a)) {
            OutputStream out = s.getOutputStream();
            try {
                for (int i = 0; i < 2_000; i++) { // at most 2000 × 200 requests (about 100 MB); the cut comes first
                    out.write(burst);
                    sent += burst.length;
                }
            } catch (IOException cutOff) {
                // the server closed the connection under the writes
            }
            assertTrue(closedByServer(s.getInputStream()), "the client is cut off");
        }
        assertTrue(sent < (long) burst.length * 2_000, "the writes ended with the connection: " + sent);
        assertEquals(1.0, errors("too-many-queued-replies"));
        assertTrue(listener.queuedReplies().peakReplies() <= 17,
                "at most max-queued-replies + 1 replies were ever queued: " + listener.queuedReplies().peakReplies());
        assertAnswered(a);
    }

    @Test
    void aClientTricklingARequestIsClosedAtTheDeadlineAndGivesItsBytesBack() throws Exception {
        InetSocketAddress a = start("request-deadline: 300ms");
        try (Socket slow = connect(a)) {
            slow.getOutputStream().write("request=smtpd_access_policy\nprotocol_state=RCPT\nclient_addr"
                    .getBytes(StandardCharsets.US_ASCII));
            assertAnswered(a);
            assertTrue(closedByServer(slow.getInputStream()), "the unfinished request is cut off at its deadline");
        }
        assertEquals(1.0, errors("slow-request"));
        for (int i = 0; i < 400 && listener.inputBudget().held() > 0; i++) {
            Thread.sleep(10); // the close is seen on the event loop; no logic depends on the time
        }
        assertEquals(0, listener.inputBudget().held(), "its bytes are given back");
        assertTrue(listener.inputBudget().peak() > 0, "they were counted while held");
    }

    @Test
    void theBudgetForBufferedInputCutsTheConnectionThatGrowsPastIt() throws Exception {
        InetSocketAddress a = start("max-request-bytes: 65536, max-buffered-bytes: 65536");
        try (Socket big = connect(a); Socket other = connect(a)) {
            String lines = "x=" + "a".repeat(1000) + "\n";
            OutputStream bo = big.getOutputStream();
            for (int i = 0; i < 40; i++) { // 40 KB of one unfinished request
                bo.write(lines.getBytes(StandardCharsets.US_ASCII));
            }
            bo.flush();
            for (int i = 0; i < 400 && listener.inputBudget().held() < 40_000; i++) {
                Thread.sleep(10); // waits until the server holds it
            }
            OutputStream oo = other.getOutputStream();
            try {
                for (int i = 0; i < 40; i++) { // another 40 KB: past the budget of 64 KiB
                    oo.write(lines.getBytes(StandardCharsets.US_ASCII));
                }
            } catch (IOException cutOff) {
                // closed under the writes
            }
            assertTrue(closedByServer(other.getInputStream()), "the connection growing past the budget is closed");
            assertEquals(1.0, errors("input-budget"));
            assertTrue(listener.inputBudget().peak() <= 65_536, "never more than the budget held");
            bo.write("\n".getBytes(StandardCharsets.US_ASCII));
            BufferedReader in = new BufferedReader(new InputStreamReader(big.getInputStream(),
                    StandardCharsets.UTF_8));
            assertTrue(in.readLine().startsWith("action="), "the connection within the budget is answered");
        }
    }
}
