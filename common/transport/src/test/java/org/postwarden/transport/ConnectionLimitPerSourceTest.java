package org.postwarden.transport;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The per-source cap on real loopback sockets from two source addresses (127.0.0.1 and 127.0.0.2). */
class ConnectionLimitPerSourceTest {
    private final NettyServer server = NettyServer.create("test");
    private final AtomicInteger refusedSource = new AtomicInteger();

    @AfterEach
    void stop() {
        server.stop(Duration.ofSeconds(2));
    }

    /** Greets every connection that got past the limit with one byte. */
    static final class Greet extends ChannelInboundHandlerAdapter {
        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            ctx.writeAndFlush(Unpooled.wrappedBuffer(new byte[] {'+'}));
        }
    }

    private static int greeted(Socket s) {
        try {
            s.setSoTimeout(20_000);
            return s.getInputStream().read() == '+' ? 1 : 0;
        } catch (IOException closed) {
            return 0;
        }
    }

    @Test
    void oneSourceCannotTakeEverySlot() throws Exception {
        ConnectionLimit limit = new ConnectionLimit(10, 3, new ConnectionLimit.Events() {
            @Override
            public void opened(Channel channel) {
            }

            @Override
            public void refused(Channel channel, int max) {
            }

            @Override
            public void refusedSource(Channel channel, int max) {
                refusedSource.incrementAndGet();
            }
        });
        InetSocketAddress a = server.bindTcp(new InetSocketAddress("127.0.0.1", 0),
                ch -> ch.pipeline().addLast(limit, new Greet()));
        List<Socket> sockets = new ArrayList<>();
        try {
            int one = 0;
            for (int i = 0; i < 6; i++) {
                Socket s = new Socket();
                sockets.add(s);
                s.connect(a, 10_000);
                one += greeted(s);
            }
            assertEquals(3, one, "three from 127.0.0.1 are served, the others closed");
            assertEquals(3, refusedSource.get());
            Socket other = new Socket();
            sockets.add(other);
            other.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.2"), 0));
            other.connect(a, 10_000);
            assertEquals(1, greeted(other), "another source still gets in");
            for (Socket s : sockets) {
                s.close();
            }
            sockets.clear();
            for (int i = 0; i < 200 && limit.sources() > 0; i++) {
                Thread.sleep(25); // waits for the server to see the closes; no logic depends on the time
            }
            assertEquals(0, limit.sources(), "closed connections leave the per-source table");
            Socket again = new Socket();
            sockets.add(again);
            again.connect(a, 10_000);
            assertEquals(1, greeted(again), "a freed slot is usable again");
        } finally {
            for (Socket s : sockets) {
                s.close();
            }
        }
    }
}
