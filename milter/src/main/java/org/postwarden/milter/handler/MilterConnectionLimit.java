package org.postwarden.milter.handler;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import org.postwarden.metrics.PostwardenMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Counts open milter connections and closes those beyond {@code milter.max-connections}, with a log line and a
 * metric (Postfix then applies {@code milter_default_action} to that session). Shared by all channels.
 */
@ChannelHandler.Sharable
public final class MilterConnectionLimit extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(MilterConnectionLimit.class);
    private final int max;
    private final PostwardenMetrics metrics;
    private final AtomicInteger active = new AtomicInteger();

    public MilterConnectionLimit(int max, PostwardenMetrics metrics) {
        this.max = max;
        this.metrics = metrics;
    }

    public int active() {
        return active.get();
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        metrics.connection(MilterMetrics.LISTENER);
        if (active.incrementAndGet() > max) {
            metrics.protocolError(MilterMetrics.LISTENER, "too-many-connections");
            LOG.warn("milter: refusing connection from {}: {} concurrent connections is the limit",
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
