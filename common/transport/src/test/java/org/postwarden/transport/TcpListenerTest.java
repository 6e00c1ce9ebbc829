package org.postwarden.transport;

import io.netty.channel.socket.SocketChannel;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TcpListenerTest {

    /** A listener whose connections do nothing, with a settable amount of work in flight. */
    static final class Quiet extends TcpListener {
        final AtomicInteger inFlight = new AtomicInteger();
        final AtomicInteger connections = new AtomicInteger();

        Quiet(String listen) {
            super("quiet", listen, "pending things");
        }

        @Override
        protected void initChannel(SocketChannel channel) {
            connections.incrementAndGet();
        }

        @Override
        protected int inFlight() {
            return inFlight.get();
        }
    }

    @Test
    void servesTheConfiguredAddressAndReportsThePortItGot() throws Exception {
        Quiet l = new Quiet("127.0.0.1:0");
        try (LogCapture log = new LogCapture(TcpListener.class)) {
            l.start();
            InetSocketAddress a = l.boundAddress();
            assertNotEquals(0, a.getPort());
            assertEquals("quiet", l.name());
            assertEquals("127.0.0.1:" + a.getPort(), l.address(), "as Postwarden prints socket addresses (Addresses)");
            try (Socket s = new Socket()) {
                s.connect(a, 2000);
                long deadline = System.nanoTime() + 5_000_000_000L;
                while (l.connections.get() == 0 && System.nanoTime() < deadline) {
                    Thread.sleep(10); // the accept runs on another thread
                }
                assertEquals(1, l.connections.get());
            }
            assertEquals(List.of(), log.lines(), "loopback: no warning");
        } finally {
            l.inFlight.set(2);
            try (LogCapture log = new LogCapture(NettyServer.class)) {
                l.stop(Duration.ofMillis(20));
                assertEquals(List.of("WARN quiet listener stopping with 2 pending things"), log.lines());
            }
        }
    }

    @Test
    void aNonLoopbackAddressIsWarnedAbout() {
        Quiet l = new Quiet("0.0.0.0:0");
        try (LogCapture log = new LogCapture(TcpListener.class)) {
            l.start();
            assertEquals(1, log.lines().size());
            assertTrue(log.lines().get(0).startsWith("WARN quiet listener bound to non-loopback address /"),
                    log.lines().toString()); // the wildcard address, as the system reports it (v4 or v6)
            assertTrue(log.lines().get(0).endsWith(": make sure only your MTAs can reach it"));
        } finally {
            l.stop(Duration.ofSeconds(1));
        }
    }

    @Test
    void stoppingBeforeStartingDoesNothing() {
        new Quiet("127.0.0.1:0").stop(Duration.ofSeconds(1));
    }
}
