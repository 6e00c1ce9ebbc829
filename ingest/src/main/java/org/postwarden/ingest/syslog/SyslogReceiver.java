package org.postwarden.ingest.syslog;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;
import org.postwarden.config.HostPort;
import org.postwarden.config.PostwardenConfig;
import org.postwarden.ingest.IngestPipeline;
import org.postwarden.ingest.parse.LogEvent;
import org.postwarden.ingest.parse.LogLine;
import org.postwarden.ingest.parse.LogLineParser;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Receives syslog over UDP (one message per datagram) and TCP (RFC 6587 framing), for rsyslog's {@code omfwd} or a
 * container's syslog log driver. One event-loop thread; each message is parsed and recorded right there (in-memory
 * work only, never file or DNS I/O). Bounded: datagrams and frames over {@code max-message-bytes} are dropped,
 * malformed messages are counted and dropped, TCP senders are limited in number and closed when idle.
 */
public final class SyslogReceiver {
    private static final Logger LOG = LoggerFactory.getLogger(SyslogReceiver.class);
    private final PostwardenConfig.Syslog config;
    private final IngestPipeline pipeline;
    private final LogLineParser parser;
    private final ChannelGroup channels = new DefaultChannelGroup("syslog", GlobalEventExecutor.INSTANCE);
    private final AtomicInteger tcpConnections = new AtomicInteger();
    private EventLoopGroup group;
    private InetSocketAddress udpAddress;
    private InetSocketAddress tcpAddress;

    public SyslogReceiver(PostwardenConfig.Syslog config, IngestPipeline pipeline) {
        this.config = config;
        this.pipeline = pipeline;
        this.parser = pipeline.parser();
    }

    /** Binds the configured transports; throws when an address cannot be bound. */
    public void start() {
        group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("postwarden-syslog"),
                NioIoHandler.newFactory());
        int max = config.maxMessageBytes();
        if (!config.udp().isBlank()) {
            HostPort hp = HostPort.parse(config.udp());
            Channel ch = new Bootstrap().group(group).channel(NioDatagramChannel.class)
                    .option(ChannelOption.RECVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(max + 1))
                    .handler(new UdpHandler(max))
                    .bind(hp.socketAddress()).syncUninterruptibly().channel();
            channels.add(ch);
            udpAddress = (InetSocketAddress) ch.localAddress();
            warnIfPublic("UDP", hp);
        }
        if (!config.tcp().isBlank()) {
            HostPort hp = HostPort.parse(config.tcp());
            TcpHandler handler = new TcpHandler();
            long idle = config.idleTimeout().toMillis();
            Channel ch = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                    .option(ChannelOption.SO_REUSEADDR, true)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel c) {
                            channels.add(c);
                            c.pipeline().addLast(new IdleStateHandler(idle, 0, 0, TimeUnit.MILLISECONDS))
                                    .addLast(new SyslogFrameDecoder(max))
                                    .addLast(handler);
                        }
                    })
                    .bind(hp.socketAddress()).syncUninterruptibly().channel();
            channels.add(ch);
            tcpAddress = (InetSocketAddress) ch.localAddress();
            warnIfPublic("TCP", hp);
        }
    }

    private static void warnIfPublic(String transport, HostPort hp) {
        if (!hp.loopback()) {
            LOG.warn("syslog {} receiver on non-loopback address {}: anyone who can reach it can feed Postwarden "
                    + "log lines (and get clients banned); firewall it", transport, hp);
        }
    }

    /** Bound UDP address, or null. */
    public InetSocketAddress udpAddress() {
        return udpAddress;
    }

    /** Bound TCP address, or null. */
    public InetSocketAddress tcpAddress() {
        return tcpAddress;
    }

    public void stop(Duration grace) {
        channels.close().awaitUninterruptibly(grace.toMillis());
        if (group != null) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    /** Parses and records one message; never throws. */
    void message(String source, String text) {
        SyslogMessage m = SyslogMessage.parse(text);
        if (m == null) {
            pipeline.rejected(source, "malformed");
            return;
        }
        LogEvent e = parser.parse(m.program(), m.message());
        if (e == null && !LogLineParser.knows(m.program()) && m.message().indexOf(": ") > 0) {
            // a container's whole log line sent as the message (docker syslog driver, tag = container name)
            LogLine inner = LogLine.parse(m.message());
            if (inner != null) {
                e = parser.parse(inner.program(), inner.message());
                if (e != null) {
                    e = e.at(parser.time(inner.stamp().isEmpty() ? m.stamp() : inner.stamp()));
                }
            }
        } else if (e != null) {
            e = e.at(parser.time(m.stamp()));
        }
        pipeline.accept(source, e);
    }

    private final class UdpHandler extends SimpleChannelInboundHandler<DatagramPacket> {
        private final int max;

        UdpHandler(int max) {
            this.max = max;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket p) {
            ByteBuf b = p.content();
            if (b.readableBytes() > max) {
                pipeline.rejected("syslog-udp", "too-long");
                return;
            }
            message("syslog-udp", b.toString(StandardCharsets.UTF_8));
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            LOG.debug("syslog UDP receive error: {}", cause.toString());
        }
    }

    @ChannelHandler.Sharable
    private final class TcpHandler extends ChannelInboundHandlerAdapter {
        @Override
        public void channelActive(ChannelHandlerContext ctx) throws Exception {
            if (tcpConnections.incrementAndGet() > config.maxConnections()) {
                LOG.warn("closing syslog TCP connection from {}: more than {} senders (ingest.syslog.max-connections)",
                        ctx.channel().remoteAddress(), config.maxConnections());
                pipeline.rejected("syslog-tcp", "too-many-connections");
                ctx.close();
            }
            super.channelActive(ctx);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            tcpConnections.decrementAndGet();
            super.channelInactive(ctx);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg == SyslogFrameDecoder.TOO_LONG) {
                pipeline.rejected("syslog-tcp", "too-long");
            } else if (msg instanceof String s) {
                message("syslog-tcp", s);
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
            if (evt instanceof IdleStateEvent) {
                LOG.debug("closing idle syslog TCP connection from {}", ctx.channel().remoteAddress());
                ctx.close();
                return;
            }
            super.userEventTriggered(ctx, evt);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (cause instanceof DecoderException) {
                pipeline.rejected("syslog-tcp", "malformed");
                LOG.warn("closing syslog TCP connection from {}: {}", ctx.channel().remoteAddress(),
                        cause.getMessage());
            } else {
                LOG.debug("syslog TCP connection from {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
            }
            ctx.close();
        }
    }

    /** For logs: what is bound. */
    public String describe() {
        List<String> parts = new ArrayList<>();
        if (udpAddress != null) {
            parts.add("syslog udp " + udpAddress);
        }
        if (tcpAddress != null) {
            parts.add("syslog tcp " + tcpAddress);
        }
        return String.join(", ", parts);
    }
}
