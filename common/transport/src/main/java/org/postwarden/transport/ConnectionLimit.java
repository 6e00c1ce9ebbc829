package org.postwarden.transport;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.AttributeKey;
import org.postwarden.metrics.PostwardenMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Counts a listener's open connections and closes each one beyond {@code max} as soon as it is active, before any
 * of its bytes are read; the refused connection's {@code channelActive} goes no further down the pipeline. With a
 * per-source cap, a connection is also refused when its source address already holds {@code maxPerSource} open
 * connections (for listeners whose senders are many, such as syslog TCP: one sender cannot take every slot; never
 * for the policy and milter listeners, whose one source is Postfix). The per-source table holds only addresses with
 * open connections, so it is bounded by the open connections. Put it first in every connection's pipeline; one
 * instance is shared by all connections of a listener (lock-free).
 */
@ChannelHandler.Sharable
public final class ConnectionLimit extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(ConnectionLimit.class);
    private static final AttributeKey<InetAddress> COUNTED = AttributeKey.valueOf(ConnectionLimit.class, "source");
    private final int max;
    private final int maxPerSource;
    private final Events events;
    private final AtomicInteger active = new AtomicInteger();
    private final ConcurrentHashMap<InetAddress, Integer> perSource = new ConcurrentHashMap<>();

    /** What a listener counts and logs. Called on the connection's event loop; must not block. */
    public interface Events {
        /** A connection became active (refused ones included). */
        void opened(Channel channel);

        /** {@code channel} is being closed: {@code max} connections are open already. */
        void refused(Channel channel, int max);

        /** {@code channel} is being closed: its source address holds {@code maxPerSource} connections already. */
        default void refusedSource(Channel channel, int maxPerSource) {
            refused(channel, maxPerSource);
        }
    }

    /**
     * @param max    most connections open at once (at least 1)
     * @param events what to count and log
     */
    public ConnectionLimit(int max, Events events) {
        this(max, 0, events);
    }

    /**
     * @param max          most connections open at once (at least 1)
     * @param maxPerSource most connections open at once from one source address (0: no per-source cap)
     * @param events       what to count and log
     */
    public ConnectionLimit(int max, int maxPerSource, Events events) {
        if (max < 1) {
            throw new IllegalArgumentException("max: " + max + " (expected: >= 1)");
        }
        if (maxPerSource < 0) {
            throw new IllegalArgumentException("maxPerSource: " + maxPerSource + " (expected: >= 0)");
        }
        this.max = max;
        this.maxPerSource = maxPerSource;
        this.events = events;
    }

    /**
     * The limit of an MTA-facing listener: every connection counted in
     * {@code postwarden_connections_total{listener}}, a refused one in
     * {@code postwarden_protocol_errors_total{listener, reason="too-many-connections"}} and a warning.
     */
    public static ConnectionLimit forListener(String listener, int max, PostwardenMetrics metrics) {
        return new ConnectionLimit(max, new Events() {
            @Override
            public void opened(Channel channel) {
                metrics.connection(listener);
            }

            @Override
            public void refused(Channel channel, int limit) {
                metrics.protocolError(listener, "too-many-connections");
                LOG.warn("{}: refusing connection from {}: {} concurrent connections is the limit", listener,
                        channel.remoteAddress(), limit);
            }
        });
    }

    /** Connections open now (refused ones until they are closed). */
    public int active() {
        return active.get();
    }

    /** Connections open now from {@code source} (refused ones until they are closed). */
    public int active(InetAddress source) {
        return perSource.getOrDefault(source, 0);
    }

    /** Source addresses with open connections now (the per-source table's size). */
    public int sources() {
        return perSource.size();
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        events.opened(ctx.channel());
        if (active.incrementAndGet() > max) {
            events.refused(ctx.channel(), max);
            ctx.close();
            return;
        }
        InetAddress source = source(ctx.channel().remoteAddress());
        if (source != null) {
            ctx.channel().attr(COUNTED).set(source);
            if (perSource.merge(source, 1, Integer::sum) > maxPerSource) {
                events.refusedSource(ctx.channel(), maxPerSource);
                ctx.close();
                return;
            }
        }
        super.channelActive(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        active.decrementAndGet();
        InetAddress source = ctx.channel().attr(COUNTED).getAndSet(null);
        if (source != null) {
            perSource.computeIfPresent(source, (k, n) -> n > 1 ? n - 1 : null);
        }
        super.channelInactive(ctx);
    }

    /** The address a per-source cap counts, or null when there is no cap (or no IP address). */
    private InetAddress source(SocketAddress remote) {
        return maxPerSource > 0 && remote instanceof InetSocketAddress a ? a.getAddress() : null;
    }
}
