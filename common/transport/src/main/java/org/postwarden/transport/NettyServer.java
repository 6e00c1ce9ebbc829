package org.postwarden.transport;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.IntSupplier;

/**
 * A listener's Netty server: its event loops, the sockets it binds (TCP, and UDP where a listener takes datagrams),
 * the connections it accepted, and the graceful stop. Every TCP listener gets the same socket options: a backlog of
 * 1024 and {@code SO_REUSEADDR} on the listening socket, {@code TCP_NODELAY} (every reply goes out in one flush, at
 * once), {@code SO_KEEPALIVE} and a send buffer of {@value #SEND_BUFFER} bytes on each connection (replies are
 * small; a fixed buffer bounds the kernel memory of a client that does not read), whose write buffer turns the channel unwritable above
 * {@value #WRITE_HIGH} bytes waiting for the socket and writable again below {@value #WRITE_LOW} (a reply is tens
 * of bytes: {@link ReplyBackpressure} stops reading from a client that does not read its replies).
 *
 * <p>Start-up binds synchronously and throws when an address cannot be bound; the server then stops its threads
 * before the exception leaves. {@link #stop} runs on the caller's thread (never call it from an event loop): it
 * stops accepting, waits up to the grace period for the listener's work in flight, closes the connections and ends
 * the event loops. Not thread-safe: one thread binds and, later, one thread stops.
 */
public final class NettyServer {
    private static final Logger LOG = LoggerFactory.getLogger(NettyServer.class);
    private static final int BACKLOG = 1024;
    /** {@code SO_SNDBUF} of each connection. */
    public static final int SEND_BUFFER = 64 * 1024;
    /** Bytes waiting for the socket above which a connection is not writable. */
    public static final int WRITE_HIGH = 32 * 1024;
    /** Bytes waiting for the socket below which it is writable again. */
    public static final int WRITE_LOW = 8 * 1024;
    private final String name;
    private final EventLoopGroup accept;
    private final EventLoopGroup io;
    private final ChannelGroup connections;
    private final List<Channel> listening = new ArrayList<>();
    private boolean stopped;

    private NettyServer(String name, EventLoopGroup accept, EventLoopGroup io) {
        this.name = name;
        this.accept = accept;
        this.io = io;
        this.connections = new DefaultChannelGroup(name, GlobalEventExecutor.INSTANCE);
    }

    /**
     * A server for many connections: one accepting thread {@code NAME-accept}, and {@code NAME-io} threads, one per
     * processor and at least two, that serve the connections.
     *
     * @param name the listener's bounded name, e.g. {@code policy}: thread names and the stop log line
     */
    public static NettyServer create(String name) {
        return new NettyServer(name,
                new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory(name + "-accept"),
                        NioIoHandler.newFactory()),
                new MultiThreadIoEventLoopGroup(Math.max(2, Runtime.getRuntime().availableProcessors()),
                        new DefaultThreadFactory(name + "-io"), NioIoHandler.newFactory()));
    }

    /** A server whose sockets and connections all share one thread called {@code threadName}. */
    public static NettyServer singleThread(String name, String threadName) {
        EventLoopGroup one = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory(threadName),
                NioIoHandler.newFactory());
        return new NettyServer(name, one, one);
    }

    /**
     * Binds a TCP socket; {@code init} builds each accepted connection's pipeline (on that connection's event loop;
     * it must not block). Returns the bound address (with the port the system chose for port 0).
     */
    public InetSocketAddress bindTcp(InetSocketAddress address, Consumer<SocketChannel> init) {
        ServerBootstrap b = new ServerBootstrap()
                .group(accept, io)
                .channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, BACKLOG)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.SO_KEEPALIVE, true)
                .childOption(ChannelOption.SO_SNDBUF, SEND_BUFFER)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(WRITE_LOW, WRITE_HIGH))
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        connections.add(ch);
                        init.accept(ch);
                    }
                });
        return bind(() -> b.bind(address).syncUninterruptibly().channel());
    }

    /**
     * Binds a UDP socket served by {@code handler} on the I/O event loop; a datagram is read into a buffer of
     * {@code maxDatagramBytes + 1} bytes, so a handler sees that one was longer than the limit (and not a cut
     * copy of it). Returns the bound address.
     */
    public InetSocketAddress bindUdp(InetSocketAddress address, int maxDatagramBytes, ChannelHandler handler) {
        Bootstrap b = new Bootstrap()
                .group(io)
                .channel(NioDatagramChannel.class)
                .option(ChannelOption.RECVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(maxDatagramBytes + 1))
                .handler(handler);
        return bind(() -> b.bind(address).syncUninterruptibly().channel());
    }

    private interface Binder {
        Channel bind();
    }

    private InetSocketAddress bind(Binder binder) {
        if (stopped) {
            throw new IllegalStateException(name + " server is stopped");
        }
        Channel ch;
        try {
            ch = binder.bind();
        } catch (Throwable t) { // a BindException too, which Netty throws undeclared
            stop(Duration.ZERO);
            throw t;
        }
        listening.add(ch);
        return (InetSocketAddress) ch.localAddress();
    }

    /** Connections open now (accepted and not yet closed). */
    public int connections() {
        return connections.size();
    }

    /** Stops at once: nothing is waited for beyond closing the connections within {@code grace}. */
    public void stop(Duration grace) {
        stop(grace, () -> 0, "");
    }

    /**
     * Stops accepting, waits up to {@code grace} until {@code inFlight} is zero (with a warning
     * {@code NAME listener stopping with N <what>} when it is not), closes the connections (waiting up to
     * {@code grace} again) and ends the event loops. Blocks the calling thread; idempotent.
     *
     * @param inFlight the listener's work that a reply still waits for (requests, decisions)
     * @param what     what {@code inFlight} counts, for the warning, e.g. {@code unanswered requests}
     */
    public void stop(Duration grace, IntSupplier inFlight, String what) {
        if (stopped) {
            return;
        }
        stopped = true;
        for (Channel ch : listening) {
            ch.close().syncUninterruptibly();
        }
        long deadline = System.nanoTime() + grace.toNanos();
        while (inFlight.getAsInt() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(10); // this is the stopping thread, never an event loop
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        int left = inFlight.getAsInt();
        if (left > 0) {
            LOG.warn("{} listener stopping with {} {}", name, left, what);
        }
        connections.close().awaitUninterruptibly(grace.toMillis());
        if (accept != io) {
            accept.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
        io.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
