package org.postwarden.milter;

import io.netty.channel.ChannelPipeline;
import org.nightcode.milter.codec.Int32LenFrameEncoder;
import org.nightcode.milter.codec.MilterPacketDecoder;
import org.nightcode.milter.codec.MilterPacketEncoder;
import org.postwarden.config.PostwardenConfig;
import org.postwarden.milter.codec.MilterFrameDecoder;
import org.postwarden.milter.handler.MilterMetrics;
import org.postwarden.milter.handler.MilterSessionHandler;
import org.postwarden.runtime.DaemonContext;
import org.postwarden.transport.ConnectionLimit;
import org.postwarden.transport.IdleClose;
import org.postwarden.transport.InputBudget;
import org.postwarden.transport.QueuedReplies;
import org.postwarden.transport.ReplyBackpressure;
import org.postwarden.transport.RequestDeadline;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Builds each milter connection's pipeline: connection limit → write back-pressure ({@code milter.max-queued-replies})
 * → idle close → request deadline with the listener's budget for buffered input ({@code milter.request-deadline},
 * {@code milter.max-buffered-bytes}; all four {@code org.postwarden.transport}'s) → bounded framer (ours) → jmilter's length-prefix encoder, packet decoder and packet encoder (none of them
 * {@code @Sharable}, so one each per connection) → session handler (ours). Holds what the connections share: the
 * connection limit, the input budget, the queued replies, the metrics and the in-flight counter. Thread-safe.
 */
public final class MilterPipeline {
    private final DaemonContext context;
    private final PostwardenConfig.Milter config;
    private final ConnectionLimit limit;
    private final MilterMetrics metrics;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final InputBudget budget;
    private final QueuedReplies queued;

    public MilterPipeline(DaemonContext context) {
        this.context = context;
        this.config = context.startConfig().milter();
        this.limit = ConnectionLimit.forListener("milter", config.maxConnections(), context.metrics());
        this.metrics = new MilterMetrics(context.metrics(), limit::active);
        this.budget = new InputBudget("milter", config.maxBufferedBytes(), "milter.max-buffered-bytes")
                .register(context.metrics());
        this.queued = new QueuedReplies("milter").register(context.metrics());
    }

    public void init(ChannelPipeline p) {
        p.addLast("limit", limit)
                .addLast("backpressure", new ReplyBackpressure(config.maxQueuedReplies(),
                        "milter.max-queued-replies", queued))
                .addLast("idle", new IdleClose("milter", config.idleTimeout()))
                .addLast("deadline", new RequestDeadline(config.requestDeadline(), "milter.request-deadline",
                        budget))
                .addLast("frameDecoder", new MilterFrameDecoder(config.maxPacketBytes()))
                .addLast("frameEncoder", new Int32LenFrameEncoder())
                .addLast("packetDecoder", new MilterPacketDecoder())
                .addLast("packetEncoder", new MilterPacketEncoder())
                .addLast("handler", new MilterSessionHandler(context, metrics, inFlight));
    }

    /** Decisions started and not finished, over all connections. */
    public int inFlight() {
        return inFlight.get();
    }

    /** The buffered input of all connections (for tests). */
    public InputBudget inputBudget() {
        return budget;
    }

    /** The replies queued for clients (for tests). */
    public QueuedReplies queuedReplies() {
        return queued;
    }

    /** Milter connections open now. */
    public int connections() {
        return limit.active();
    }
}
