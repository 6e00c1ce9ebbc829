package org.postwarden.policy.handler;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import org.postwarden.metrics.PostwardenMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.atomic.AtomicInteger;

/** Closes connections beyond {@code max} concurrent ones, with a log line and a metric. Shared by all channels. */
@ChannelHandler.Sharable
public final class ConnectionLimitHandler extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(ConnectionLimitHandler.class);
    private final String listener;
    private final int max;
    private final PostwardenMetrics metrics;
    private final AtomicInteger active = new AtomicInteger();

    public ConnectionLimitHandler(String listener, int max, PostwardenMetrics metrics) {
        this.listener = listener;
        this.max = max;
        this.metrics = metrics;
    }

    public int active() {
        return active.get();
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        metrics.connection(listener);
        if (active.incrementAndGet() > max) {
            metrics.protocolError(listener, "too-many-connections");
            LOG.warn("{}: refusing connection from {}: {} concurrent connections is the limit", listener,
                    ctx.channel().remoteAddress(), max);
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
