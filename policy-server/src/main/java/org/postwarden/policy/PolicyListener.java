package org.postwarden.policy;

import io.netty.channel.socket.SocketChannel;
import org.postwarden.config.PostwardenConfig;
import org.postwarden.policy.codec.PolicyLimits;
import org.postwarden.policy.codec.PolicyReplyEncoder;
import org.postwarden.policy.codec.PolicyRequestDecoder;
import org.postwarden.policy.handler.PolicyHandler;
import org.postwarden.runtime.DaemonContext;
import org.postwarden.transport.ConnectionLimit;
import org.postwarden.transport.IdleClose;
import org.postwarden.transport.InputBudget;
import org.postwarden.transport.QueuedReplies;
import org.postwarden.transport.ReplyBackpressure;
import org.postwarden.transport.RequestDeadline;
import org.postwarden.transport.TcpListener;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * The policy-delegation listener (default {@code 127.0.0.1:10033}). Each connection: the connection limit, write
 * back-pressure ({@code policy.max-queued-replies}), the idle close, the request deadline with the listener's budget
 * for buffered input ({@code policy.request-deadline}, {@code policy.max-buffered-bytes}), the decoder, the encoder
 * and the handler.
 */
public final class PolicyListener extends TcpListener {
    private final DaemonContext context;
    private final PostwardenConfig.Policy config;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final PolicyLimits limits;
    private final ConnectionLimit limit;
    private final PolicyReplyEncoder encoder = new PolicyReplyEncoder();
    private final InputBudget budget;
    private final QueuedReplies queued;

    public PolicyListener(DaemonContext context) {
        super("policy", context.startConfig().policy().listen(), "unanswered requests");
        this.context = context;
        this.config = context.startConfig().policy();
        this.limits = new PolicyLimits(config.maxLineLength(), config.maxAttributes(), config.maxRequestBytes());
        this.limit = ConnectionLimit.forListener("policy", config.maxConnections(), context.metrics());
        this.budget = new InputBudget("policy", config.maxBufferedBytes(), "policy.max-buffered-bytes")
                .register(context.metrics());
        this.queued = new QueuedReplies("policy").register(context.metrics());
    }

    /** The buffered input of all connections (for tests). */
    public InputBudget inputBudget() {
        return budget;
    }

    /** The replies queued for clients (for tests). */
    public QueuedReplies queuedReplies() {
        return queued;
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        ch.pipeline()
                .addLast("limit", limit)
                .addLast("backpressure", new ReplyBackpressure(config.maxQueuedReplies(),
                        "policy.max-queued-replies", queued))
                .addLast("idle", new IdleClose("policy", config.idleTimeout()))
                .addLast("deadline", new RequestDeadline(config.requestDeadline(), "policy.request-deadline",
                        budget))
                .addLast("decoder", new PolicyRequestDecoder(limits))
                .addLast("encoder", encoder)
                .addLast("handler", new PolicyHandler(context, inFlight));
    }

    @Override
    protected int inFlight() {
        return inFlight.get();
    }
}
