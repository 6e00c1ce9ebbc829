package org.postwarden.transport;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import org.postwarden.metrics.PostwardenMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Counts a listener's open connections and closes each one beyond {@code max} as soon as it is active, before any
 * of its bytes are read; the refused connection's {@code channelActive} goes no further down the pipeline. Put it
 * first in every connection's pipeline; one instance is shared by all connections of a listener (lock-free).
 */
@ChannelHandler.Sharable
public final class ConnectionLimit extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(ConnectionLimit.class);
    private final int max;
    private final Events events;
    private final AtomicInteger active = new AtomicInteger();

    /** What a listener counts and logs. Called on the connection's event loop; must not block. */
    public interface Events {
        /** A connection became active (refused ones included). */
        void opened(Channel channel);

        /** {@code channel} is being closed: {@code max} connections are open already. */
        void refused(Channel channel, int max);
    }

    /**
     * @param max    most connections open at once (at least 1)
     * @param events what to count and log
     */
    public ConnectionLimit(int max, Events events) {
        if (max < 1) {
            throw new IllegalArgumentException("max: " + max + " (expected: >= 1)");
        }
        this.max = max;
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

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        events.opened(ctx.channel());
        if (active.incrementAndGet() > max) {
            events.refused(ctx.channel(), max);
            ctx.close();
            return;
        }
        super.channelActive(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        active.decrementAndGet();
        super.channelInactive(ctx);
    }
}
