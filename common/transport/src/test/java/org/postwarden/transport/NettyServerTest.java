package org.postwarden.transport;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.DatagramPacket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The server on real loopback sockets: port 0 read back, TCP and UDP, the graceful stop, a port already taken. */
class NettyServerTest {
    static final InetSocketAddress ANY_PORT = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    NettyServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop(Duration.ofSeconds(1));
        }
    }

    /** Answers each read with its bytes upper-cased: enough of a protocol to see the pipeline is the one built. */
    static final class Upper extends SimpleChannelInboundHandler<ByteBuf> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, ByteBuf msg) {
            ctx.writeAndFlush(ctx.alloc().buffer().writeBytes(msg.toString(StandardCharsets.US_ASCII)
                    .toUpperCase().getBytes(StandardCharsets.US_ASCII)));
        }
    }

    static Socket connect(InetSocketAddress a) throws IOException {
        Socket s = new Socket();
        s.connect(a, 2000);
        s.setSoTimeout(5000);
        return s;
    }

    static String read(InputStream in, int n) throws IOException {
        return new String(in.readNBytes(n), StandardCharsets.US_ASCII);
    }

    @Test
    void bindsPortZeroReadsThePortBackAndServesThePipelineItWasGiven() throws Exception {
        server = NettyServer.create("test");
        AtomicInteger built = new AtomicInteger();
        InetSocketAddress bound = server.bindTcp(ANY_PORT, ch -> {
            built.incrementAndGet();
            assertTrue(ch.config().getOption(io.netty.channel.ChannelOption.TCP_NODELAY), "replies are not delayed");
            ch.pipeline().addLast(new Upper());
        });
        assertNotEquals(0, bound.getPort(), "the port the system chose");
        assertEquals(InetAddress.getLoopbackAddress(), bound.getAddress());
        try (Socket a = connect(bound); Socket b = connect(bound)) {
            a.getOutputStream().write("hello".getBytes(StandardCharsets.US_ASCII));
            assertEquals("HELLO", read(a.getInputStream(), 5));
            b.getOutputStream().write("x".getBytes(StandardCharsets.US_ASCII));
            assertEquals("X", read(b.getInputStream(), 1));
            assertEquals(2, built.get(), "one pipeline per connection");
            assertEquals(2, server.connections());
        }
    }

    @Test
    void stopWaitsForWorkInFlightThenClosesConnectionsAndStopsAccepting() throws Exception {
        server = NettyServer.create("test");
        InetSocketAddress bound = server.bindTcp(ANY_PORT, ch -> ch.pipeline().addLast(new Upper()));
        try (Socket s = connect(bound)) {
            s.getOutputStream().write("a".getBytes(StandardCharsets.US_ASCII));
            assertEquals("A", read(s.getInputStream(), 1));
            AtomicInteger inFlight = new AtomicInteger(1);
            Thread finisher = Thread.ofVirtual().start(() -> {
                try {
                    Thread.sleep(200); // work that takes a while to finish on another thread
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                inFlight.set(0);
            });
            long start = System.nanoTime();
            try (LogCapture log = new LogCapture(NettyServer.class)) {
                server.stop(Duration.ofSeconds(5), inFlight::get, "unanswered requests");
                assertEquals(List.of(), log.lines(), "everything finished within the grace period");
            }
            long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            finisher.join();
            assertTrue(took >= 150 && took < 5000, "waited for the work, not the whole grace: " + took + " ms");
            assertEquals(-1, s.getInputStream().read(), "the connection is closed");
        }
        assertThrows(IOException.class, () -> connect(bound).close(), "nothing accepts any more");
        server.stop(Duration.ofSeconds(1)); // idempotent
    }

    @Test
    void workStillInFlightAfterTheGracePeriodIsLogged() {
        server = NettyServer.create("policy");
        server.bindTcp(ANY_PORT, ch -> { });
        try (LogCapture log = new LogCapture(NettyServer.class)) {
            server.stop(Duration.ofMillis(50), () -> 3, "unanswered requests");
            assertEquals(List.of("WARN policy listener stopping with 3 unanswered requests"), log.lines());
        }
    }

    @Test
    void aPortAlreadyTakenFailsTheBindAndLeavesNoThreadsBehind() throws Exception {
        server = NettyServer.create("first");
        InetSocketAddress taken = server.bindTcp(ANY_PORT, ch -> { });
        NettyServer second = NettyServer.create("second");
        Exception e = assertThrows(Exception.class, () -> second.bindTcp(taken, ch -> { }));
        assertTrue(e instanceof java.net.BindException || e.getCause() instanceof java.net.BindException,
                e.toString());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (threads("second-").size() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(10); // the event loops end asynchronously after shutdownGracefully
        }
        assertEquals(List.of(), threads("second-"), "the failed server's event loops are gone");
        assertThrows(IllegalStateException.class, () -> second.bindTcp(ANY_PORT, ch -> { }), "and it is stopped");
    }

    static List<String> threads(String prefix) {
        return Thread.getAllStackTraces().keySet().stream().map(Thread::getName).filter(n -> n.startsWith(prefix))
                .toList();
    }

    @Test
    void aSingleThreadServerTakesDatagramsAndConnectionsOnOneThread() throws Exception {
        server = NettyServer.singleThread("syslog", "test-syslog");
        BlockingQueue<String> got = new ArrayBlockingQueue<>(10);
        InetSocketAddress udp = server.bindUdp(ANY_PORT, 8, new SimpleChannelInboundHandler<DatagramPacket>() {
            @Override
            protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket p) {
                got.add(Thread.currentThread().getName() + " " + p.content().readableBytes());
            }
        });
        InetSocketAddress tcp = server.bindTcp(ANY_PORT, ch -> ch.pipeline().addLast(
                new SimpleChannelInboundHandler<ByteBuf>() {
                    @Override
                    protected void channelRead0(ChannelHandlerContext ctx, ByteBuf msg) {
                        got.add(Thread.currentThread().getName() + " tcp");
                    }
                }));
        String datagram;
        try (DatagramSocket d = new DatagramSocket()) {
            byte[] big = new byte[100];
            d.send(new java.net.DatagramPacket(big, big.length, udp));
            datagram = got.poll(5, TimeUnit.SECONDS);
            assertTrue(datagram != null && datagram.startsWith("test-syslog-") && datagram.endsWith(" 9"),
                    "a datagram over the limit arrives as limit + 1 bytes: too long, and visibly so: " + datagram);
        }
        try (Socket s = connect(tcp)) {
            s.getOutputStream().write('x');
            s.getOutputStream().flush();
            String thread = datagram.substring(0, datagram.indexOf(' '));
            assertEquals(thread + " tcp", got.poll(5, TimeUnit.SECONDS), "the same thread");
        }
    }
}
