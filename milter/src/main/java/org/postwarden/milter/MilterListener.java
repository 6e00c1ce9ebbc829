package org.postwarden.milter;

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
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;
import org.postwarden.config.HostPort;
import org.postwarden.config.PostwardenConfig;
import org.postwarden.runtime.DaemonContext;
import org.postwarden.runtime.Listener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** The milter listener (default {@code 127.0.0.1:10034}). */
public final class MilterListener implements Listener {
    private static final Logger LOG = LoggerFactory.getLogger(MilterListener.class);
    private final DaemonContext context;
    private final PostwardenConfig.Milter config;
    private MilterPipeline pipeline;
    private final ChannelGroup channels = new DefaultChannelGroup("milter", GlobalEventExecutor.INSTANCE);
    private EventLoopGroup boss;
    private EventLoopGroup workers;
    private Channel server;
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
    public void start() throws Exception {
        JmilterLogging.install();
        pipeline = new MilterPipeline(context);
        MilterPipeline p = pipeline;
        boss = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("milter-accept"), NioIoHandler.newFactory());
        workers = new MultiThreadIoEventLoopGroup(Math.max(2, Runtime.getRuntime().availableProcessors()),
                new DefaultThreadFactory("milter-io"), NioIoHandler.newFactory());
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
                        p.init(ch.pipeline());
                    }
                });
        HostPort listen = HostPort.parse(config.listen());
        server = b.bind(listen.socketAddress()).syncUninterruptibly().channel();
        bound = (InetSocketAddress) server.localAddress();
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
        if (server == null) {
            return;
        }
        server.close().syncUninterruptibly();
        long deadline = System.nanoTime() + grace.toNanos();
        while (pipeline.inFlight() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (pipeline.inFlight() > 0) {
            LOG.warn("milter listener stopping with {} undecided commands", pipeline.inFlight());
        }
        channels.close().awaitUninterruptibly(grace.toMillis());
        boss.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        workers.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
