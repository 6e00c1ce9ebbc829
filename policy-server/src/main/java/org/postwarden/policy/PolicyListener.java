package org.postwarden.policy;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;
import org.postwarden.config.HostPort;
import org.postwarden.config.PostwardenConfig;
import org.postwarden.policy.codec.PolicyLimits;
import org.postwarden.policy.codec.PolicyReplyEncoder;
import org.postwarden.policy.codec.PolicyRequestDecoder;
import org.postwarden.policy.handler.ConnectionLimitHandler;
import org.postwarden.policy.handler.PolicyHandler;
import org.postwarden.runtime.DaemonContext;
import org.postwarden.runtime.Listener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** The policy-delegation listener (default {@code 127.0.0.1:10033}). */
public final class PolicyListener implements Listener {
    private static final Logger LOG = LoggerFactory.getLogger(PolicyListener.class);
    private final DaemonContext context;
    private final PostwardenConfig.Policy config;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final ChannelGroup channels = new DefaultChannelGroup("policy", GlobalEventExecutor.INSTANCE);
    private EventLoopGroup boss;
    private EventLoopGroup workers;
    private Channel server;
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
    public void start() throws Exception {
        PolicyLimits limits = new PolicyLimits(config.maxLineLength(), config.maxAttributes(),
                config.maxRequestBytes());
        ConnectionLimitHandler limiter = new ConnectionLimitHandler("policy", config.maxConnections(),
                context.metrics());
        PolicyReplyEncoder encoder = new PolicyReplyEncoder();
        long idle = config.idleTimeout().toMillis();
        boss = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("policy-accept"), NioIoHandler.newFactory());
        workers = new MultiThreadIoEventLoopGroup(Math.max(2, Runtime.getRuntime().availableProcessors()),
                new DefaultThreadFactory("policy-io"), NioIoHandler.newFactory());
        ServerBootstrap b = new ServerBootstrap()
                .group(boss, workers)
                .channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 1024)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.SO_KEEPALIVE, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        channels.add(ch);
                        ch.pipeline()
                                .addLast("limit", limiter)
                                .addLast("idle", new IdleStateHandler(0, 0, idle, TimeUnit.MILLISECONDS))
                                .addLast("decoder", new PolicyRequestDecoder(limits))
                                .addLast("encoder", encoder)
                                .addLast("handler", new PolicyHandler(context, inFlight));
                    }
                });
        HostPort listen = HostPort.parse(config.listen());
        server = b.bind(listen.socketAddress()).syncUninterruptibly().channel();
        bound = (InetSocketAddress) server.localAddress();
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
        if (server == null) {
            return;
        }
        server.close().syncUninterruptibly();
        long deadline = System.nanoTime() + grace.toNanos();
        while (inFlight.get() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (inFlight.get() > 0) {
            LOG.warn("policy listener stopping with {} unanswered requests", inFlight.get());
        }
        channels.close().awaitUninterruptibly(grace.toMillis());
        boss.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        workers.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
