package org.postwarden.policy;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.postwarden.policy.PolicyTestSupport.request;

/** The policy listener on a real loopback socket. */
class PolicyListenerSocketTest {
    private PolicyListener listener;

    private PolicyListener start(String yaml) throws Exception {
        PolicyTestSupport s = new PolicyTestSupport("policy: {listen: 127.0.0.1:0, max-connections: 2}\n" + yaml);
        listener = new PolicyListener(s.context);
        listener.start();
        return listener;
    }

    @AfterEach
    void stop() {
        if (listener != null) {
            listener.stop(Duration.ofSeconds(2));
        }
    }

    private static Socket connect(InetSocketAddress a) throws IOException {
        Socket s = new Socket();
        s.connect(a, 5000);
        s.setSoTimeout(10_000);
        return s;
    }

    private static String readReply(BufferedReader in) throws IOException {
        String line = in.readLine();
        String blank = in.readLine();
        assertEquals("", blank, "reply ends with an empty line");
        return line;
    }

    @Test
    void persistentConnectionServesManyRequestsAndBadInputClosesOnlyItsOwn() throws Exception {
        InetSocketAddress a = start("networks: {local-domains: [example.test]}\n").boundAddress();
        try (Socket good = connect(a); Socket bad = connect(a)) {
            OutputStream gout = good.getOutputStream();
            BufferedReader gin = new BufferedReader(new InputStreamReader(good.getInputStream(),
                    StandardCharsets.UTF_8));
            for (int i = 0; i < 20; i++) {
                gout.write(request("RCPT", "192.0.2.10", 5555, "u" + i + "@example.test")
                        .getBytes(StandardCharsets.UTF_8));
                gout.flush();
                assertEquals("action=DUNNO", readReply(gin));
            }
            bad.getOutputStream().write(("x=" + "A".repeat(10_000) + "\n").getBytes(StandardCharsets.US_ASCII));
            bad.getOutputStream().flush();
            assertEquals(-1, bad.getInputStream().read(), "the offending connection is closed");

            gout.write(request("RCPT", "192.0.2.10", 5555, "after@example.test").getBytes(StandardCharsets.UTF_8));
            gout.flush();
            assertEquals("action=DUNNO", readReply(gin), "the other connection is undisturbed");
        }
    }

    @Test
    void connectionsBeyondTheLimitAreClosed() throws Exception {
        InetSocketAddress a = start("").boundAddress();
        try (Socket one = connect(a); Socket two = connect(a); Socket three = connect(a)) {
            // Which of the three is refused depends on the order the I/O threads see them: exactly one is.
            int served = 0;
            int refused = 0;
            int port = 1;
            for (Socket s : new Socket[] {one, two, three}) {
                try {
                    s.getOutputStream().write(request("CONNECT", "192.0.2.11", port++, "")
                            .getBytes(StandardCharsets.UTF_8));
                    s.getOutputStream().flush();
                    String line = new BufferedReader(new InputStreamReader(s.getInputStream(),
                            StandardCharsets.UTF_8)).readLine();
                    if (line == null) {
                        refused++;
                    } else {
                        assertTrue(line.startsWith("action="), line);
                        served++;
                    }
                } catch (IOException closedUnderUs) {
                    refused++;
                }
            }
            assertEquals(2, served, "max-connections: 2 serves two");
            assertEquals(1, refused, "and closes the third");
        }
    }

    @Test
    void stopClosesConnections() throws Exception {
        InetSocketAddress a = start("").boundAddress();
        try (Socket s = connect(a)) {
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
            s.getOutputStream().write(request("CONNECT", "192.0.2.12", 1, "").getBytes(StandardCharsets.UTF_8));
            assertTrue(readReply(in).startsWith("action="), "connection is being served");
            listener.stop(Duration.ofSeconds(2));
            listener = null;
            assertEquals(-1, s.getInputStream().read());
        }
        try (Socket s = new Socket()) {
            s.connect(a, 2000);
            assertNull(null, "unreachable");
            throw new AssertionError("listener still accepting after stop");
        } catch (IOException expected) {
            assertTrue(expected.getMessage() != null);
        }
    }
}
