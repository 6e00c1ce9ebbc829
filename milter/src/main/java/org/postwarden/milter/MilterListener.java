package org.postwarden.milter;

import org.postwarden.config.HostPort;
import org.postwarden.config.PostwardenConfig;
import org.postwarden.runtime.DaemonContext;
import org.postwarden.runtime.Listener;
import org.postwarden.transport.NettyServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.time.Duration;

/** The milter listener (default {@code 127.0.0.1:10034}). */
public final class MilterListener implements Listener {
    private static final Logger LOG = LoggerFactory.getLogger(MilterListener.class);
    private final DaemonContext context;
    private final PostwardenConfig.Milter config;
    private MilterPipeline pipeline;
    private NettyServer server;
    private InetSocketAddress bound;

    public MilterListener(DaemonContext context) {
        this.context = context;
        this.config = context.startConfig().milter();
    }

    @Override
    public String name() {
        return "milter";
    }

    @Override
    public void start() {
        JmilterLogging.install();
        pipeline = new MilterPipeline(context);
        MilterPipeline p = pipeline;
        HostPort listen = HostPort.parse(config.listen());
        server = NettyServer.create("milter");
        bound = server.bindTcp(listen.socketAddress(), ch -> p.init(ch.pipeline()));
        if (!listen.loopback()) {
            LOG.warn("milter listener bound to non-loopback address {}: make sure only your MTAs can reach it", bound);
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
            server.stop(grace, pipeline::inFlight, "undecided commands");
        }
    }
}
