package org.postwarden.bench;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import org.postwarden.policy.codec.PolicyLimits;
import org.postwarden.policy.codec.PolicyReply;
import org.postwarden.policy.codec.PolicyReplyEncoder;
import org.postwarden.policy.codec.PolicyRequest;
import org.postwarden.policy.codec.PolicyRequestDecoder;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * Transport baseline for the load benchmark: the policy listener's Netty setup and codec (same decoder, encoder,
 * event-loop count and socket options), answering {@code DUNNO} at once without the engine. The load generator
 * against this shows what sockets, Netty and the generator cost on the machine; the difference to the real daemon
 * is Postwarden's own work. Loopback only; exits by itself after {@code --duration}.
 */
@Command(name = "null-policy-server", mixinStandardHelpOptions = true,
        description = "Policy server that answers DUNNO to everything (transport baseline; loopback only).")
public final class NullPolicyServer implements Callable<Integer> {
    @Option(names = {"-p", "--port"}, description = "port on 127.0.0.1 (default: ${DEFAULT-VALUE})")
    int port = 10143;

    @Option(names = "--duration", description = "seconds until it exits by itself (default: ${DEFAULT-VALUE})")
    int duration = 600;

    public static void main(String[] args) {
        System.exit(new CommandLine(new NullPolicyServer()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        PolicyLimits limits = new PolicyLimits(4096, 128, 65536);
        PolicyReplyEncoder encoder = new PolicyReplyEncoder();
        EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        EventLoopGroup workers = new MultiThreadIoEventLoopGroup(Math.max(2,
                Runtime.getRuntime().availableProcessors()), NioIoHandler.newFactory());
        try {
            Channel server = new ServerBootstrap()
                    .group(boss, workers)
                    .channel(NioServerSocketChannel.class)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(new PolicyRequestDecoder(limits), encoder,
                                    new SimpleChannelInboundHandler<PolicyRequest>() {
                                        @Override
                                        protected void channelRead0(ChannelHandlerContext ctx, PolicyRequest r) {
                                            ctx.writeAndFlush(new PolicyReply("DUNNO"));
                                        }
                                    });
                        }
                    })
                    .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port)).sync().channel();
            System.out.println("null policy server on " + server.localAddress() + " for " + duration + " s");
            server.closeFuture().await(duration, TimeUnit.SECONDS);
            server.close().sync();
        } finally {
            boss.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            workers.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
        return 0;
    }
}
