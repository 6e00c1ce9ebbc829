package org.postwarden.milter;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Clients that misuse the milter listener on a real loopback socket (issue 18): one that sends commands answered at
 * once and never reads the replies is cut off with its queued replies bounded; one that trickles a packet is closed
 * at the request deadline; a normal MTA is answered all the while.
 */
class MilterFloodSocketTest {
    private MilterListener listener;
    private MilterTestSupport support;

    private InetSocketAddress start(String milterKeys) throws Exception {
        support = new MilterTestSupport("milter: {listen: 127.0.0.1:0" + milterKeys + "}\n");
        listener = new MilterListener(support.context);
        listener.start();
        return listener.boundAddress();
    }

    @AfterEach
    void stop() {
        if (listener != null) {
            listener.stop(Duration.ofSeconds(2));
        }
    }

    private double errors(String reason) {
        var c = support.registry.find("postwarden.protocol.errors").tags("listener", "milter", "reason", reason)
                .counter();
        return c == null ? 0 : c.count();
    }

    static byte[] packet(char cmd, byte[] payload) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int len = payload.length + 1;
        out.write(len >>> 24);
        out.write(len >>> 16);
        out.write(len >>> 8);
        out.write(len);
        out.write(cmd);
        out.writeBytes(payload);
        return out.toByteArray();
    }

    /** Option negotiation asking for a reply to every command (steps 0), as Postfix does for what it wires. */
    static byte[] optneg() {
        return packet('O', new byte[] {0, 0, 0, 6, 0, 0, 1, (byte) 0xFF, 0, 0, 0, 0});
    }

    /** Reads one reply's command byte. */
    static char reply(InputStream in) throws IOException {
        byte[] len = in.readNBytes(4);
        int n = ((len[0] & 0xFF) << 24) | ((len[1] & 0xFF) << 16) | ((len[2] & 0xFF) << 8) | (len[3] & 0xFF);
        byte[] rest = in.readNBytes(n);
        return (char) rest[0];
    }

    static Socket connect(InetSocketAddress a) throws IOException {
        Socket s = new Socket();
        s.setReceiveBufferSize(4096);
        s.connect(a, 10_000);
        s.setSoTimeout(30_000);
        return s;
    }

    /** Opens a session up to a transaction: optneg, connect and MAIL answered. */
    static Socket session(InetSocketAddress a, String ip) throws IOException {
        Socket s = connect(a);
        OutputStream out = s.getOutputStream();
        InputStream in = s.getInputStream();
        out.write(optneg());
        assertEquals('O', reply(in));
        out.write(packet('C', MilterListenerSocketTest.connect(ip, 2525)));
        assertEquals('c', reply(in));
        out.write(packet('M', "<a@example.net>\0".getBytes(StandardCharsets.US_ASCII)));
        assertEquals('c', reply(in));
        return s;
    }

    static boolean closedByServer(InputStream in) {
        try {
            byte[] buf = new byte[8192];
            while (true) {
                if (in.read(buf) < 0) {
                    return true;
                }
            }
        } catch (SocketTimeoutException stillOpen) {
            return false;
        } catch (IOException reset) {
            return true;
        }
    }

    @Test
    void aClientThatNeverReadsItsRepliesIsCutOffWithThemBounded() throws Exception {
        InetSocketAddress a = start(", max-queued-replies: 16");
        byte[] header = packet('L', "X-Flood\0yes\0".getBytes(StandardCharsets.US_ASCII));
        byte[] burst = new byte[header.length * 500];
        for (int i = 0; i < 500; i++) {
            System.arraycopy(header, 0, burst, i * header.length, header.length);
        }
        long sent = 0;
        try (Socket s = session(a, "192.0.2.61")) {
            try {
                for (int i = 0; i < 20_000; i++) { // at most 10 million headers (170 MB); the cut comes first
                    s.getOutputStream().write(burst);
                    sent += burst.length;
                }
            } catch (IOException cutOff) {
                // closed under the writes
            }
            assertTrue(closedByServer(s.getInputStream()), "the client is cut off");
        }
        assertTrue(sent < (long) burst.length * 20_000, "the writes ended with the connection: " + sent);
        assertEquals(1.0, errors("too-many-queued-replies"));
        assertTrue(listener.pipeline().queuedReplies().peakReplies() <= 17,
                "at most max-queued-replies + 1: " + listener.pipeline().queuedReplies().peakReplies());
        try (Socket normal = session(a, "198.51.100.62")) {
            normal.getOutputStream().write(packet('Q', new byte[0]));
            assertTrue(closedByServer(normal.getInputStream()), "a normal session is served to its end");
        }
    }

    @Test
    void aTricklingPacketIsClosedAtTheDeadline() throws Exception {
        InetSocketAddress a = start(", request-deadline: 300ms");
        try (Socket slow = connect(a)) {
            byte[] o = optneg();
            slow.getOutputStream().write(o, 0, 6); // the length and part of the packet, then nothing
            try (Socket normal = session(a, "198.51.100.63")) {
                assertTrue(normal.isConnected());
            }
            assertTrue(closedByServer(slow.getInputStream()), "the unfinished packet is cut off at its deadline");
        }
        assertEquals(1.0, errors("slow-request"));
        for (int i = 0; i < 400 && listener.pipeline().inputBudget().held() > 0; i++) {
            Thread.sleep(10); // the close is seen on the event loop; no logic depends on the time
        }
        assertEquals(0, listener.pipeline().inputBudget().held(), "its bytes are given back");
    }
}
