package org.postwarden.policy;

import org.postwarden.config.HostPort;
import org.postwarden.config.PostwardenConfig;
import org.postwarden.policy.codec.PolicyLimits;
import org.postwarden.policy.codec.PolicyReplyEncoder;
import org.postwarden.policy.codec.PolicyRequestDecoder;
import org.postwarden.policy.handler.PolicyHandler;
import org.postwarden.runtime.DaemonContext;
import org.postwarden.runtime.Listener;
import org.postwarden.transport.ConnectionLimit;
import org.postwarden.transport.IdleClose;
import org.postwarden.transport.NettyServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/** The policy-delegation listener (default {@code 127.0.0.1:10033}). */
public final class PolicyListener implements Listener {
    private static final Logger LOG = LoggerFactory.getLogger(PolicyListener.class);
    private final DaemonContext context;
    private final PostwardenConfig.Policy config;
    private final AtomicInteger inFlight = new AtomicInteger();
    private NettyServer server;
    private InetSocketAddress bound;

    public PolicyListener(DaemonContext context) {
        this.context = context;
        this.config = context.startConfig().policy();
    }

    @Override
    public String name() {
        return "policy";
    }

    @Override
    public void start() {
        PolicyLimits limits = new PolicyLimits(config.maxLineLength(), config.maxAttributes(),
                config.maxRequestBytes());
        ConnectionLimit limit = ConnectionLimit.forListener("policy", config.maxConnections(), context.metrics());
        PolicyReplyEncoder encoder = new PolicyReplyEncoder();
        HostPort listen = HostPort.parse(config.listen());
        server = NettyServer.create("policy");
        bound = server.bindTcp(listen.socketAddress(), ch -> ch.pipeline()
                .addLast("limit", limit)
                .addLast("idle", new IdleClose("policy", config.idleTimeout()))
                .addLast("decoder", new PolicyRequestDecoder(limits))
                .addLast("encoder", encoder)
                .addLast("handler", new PolicyHandler(context, inFlight)));
        if (!listen.loopback()) {
            LOG.warn("policy listener bound to non-loopback address {}: make sure only your MTAs can reach it", bound);
        }
    }

    /** The bound address (useful when configured with port 0). */
    public InetSocketAddress boundAddress() {
        return bound;
    }

    @Override
    public String address() {
        return String.valueOf(bound);
    }

    @Override
    public void stop(Duration grace) {
        if (server != null) {
            server.stop(grace, inFlight::get, "unanswered requests");
        }
    }
}
