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
import org.postwarden.transport.TcpListener;

import java.util.concurrent.atomic.AtomicInteger;

/** The policy-delegation listener (default {@code 127.0.0.1:10033}). */
public final class PolicyListener extends TcpListener {
    private final DaemonContext context;
    private final PostwardenConfig.Policy config;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final PolicyLimits limits;
    private final ConnectionLimit limit;
    private final PolicyReplyEncoder encoder = new PolicyReplyEncoder();

    public PolicyListener(DaemonContext context) {
        super("policy", context.startConfig().policy().listen(), "unanswered requests");
        this.context = context;
        this.config = context.startConfig().policy();
        this.limits = new PolicyLimits(config.maxLineLength(), config.maxAttributes(), config.maxRequestBytes());
        this.limit = ConnectionLimit.forListener("policy", config.maxConnections(), context.metrics());
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        ch.pipeline()
                .addLast("limit", limit)
                .addLast("idle", new IdleClose("policy", config.idleTimeout()))
                .addLast("decoder", new PolicyRequestDecoder(limits))
                .addLast("encoder", encoder)
                .addLast("handler", new PolicyHandler(context, inFlight));
    }

    @Override
    protected int inFlight() {
        return inFlight.get();
    }
}
