package org.postwarden.ingest.syslog;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.DatagramPacket;
import io.netty.handler.codec.DecoderException;
import org.postwarden.config.HostPort;
import org.postwarden.config.PostwardenConfig;
import org.postwarden.ingest.IngestPipeline;
import org.postwarden.ingest.parse.LogEvent;
import org.postwarden.ingest.parse.LogLine;
import org.postwarden.ingest.parse.LogLineParser;
import org.postwarden.model.Addresses;
import org.postwarden.model.Cidr;
import org.postwarden.runtime.StartupFailure;
import org.postwarden.transport.ConnectionLimit;
import org.postwarden.transport.IdleClose;
import org.postwarden.transport.InputBudget;
import org.postwarden.transport.NettyServer;
import org.postwarden.transport.ProtocolException;
import org.postwarden.transport.RequestDeadline;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Receives syslog over UDP (one message per datagram) and TCP (RFC 6587 framing), for rsyslog's {@code omfwd} or a
 * container's syslog log driver. One event-loop thread; each message is parsed and recorded right there (in-memory
 * work only, never file or DNS I/O). Bounded: datagrams and frames over {@code max-message-bytes} are dropped,
 * malformed messages are counted and dropped, TCP senders are limited in number (in total and per source address)
 * and closed when idle, a TCP message must be complete within {@code request-deadline} of its first byte, and the
 * unfinished messages of all senders hold at most {@code max-buffered-bytes}. Only senders in
 * {@code ingest.syslog.allowed-sources} are heard (default loopback): a syslog sender chooses every line's program
 * name and text. The server, the sender limit, the idle close, the deadline and the budget are
 * {@code org.postwarden.transport}'s.
 */
public final class SyslogReceiver {
    private static final Logger LOG = LoggerFactory.getLogger(SyslogReceiver.class);
    private final PostwardenConfig.Syslog config;
    private final IngestPipeline pipeline;
    private final LogLineParser parser;
    private final List<Cidr> allowed;
    /** Senders outside the allowed sources already logged (bounded). */
    private final Set<String> warned = ConcurrentHashMap.newKeySet();
    private NettyServer server;
    private InetSocketAddress udpAddress;
    private InetSocketAddress tcpAddress;
    private InputBudget budget;
    private ConnectionLimit limit;

    public SyslogReceiver(PostwardenConfig.Syslog config, IngestPipeline pipeline) {
        this.config = config;
        this.pipeline = pipeline;
        this.parser = pipeline.parser();
        this.allowed = config.allowedSources().stream().map(Cidr::parse).toList();
    }

    /** Whether a sender at {@code remote} is in {@code ingest.syslog.allowed-sources}. */
    boolean allowed(SocketAddress remote) {
        if (!(remote instanceof InetSocketAddress a) || a.getAddress() == null) {
            return false;
        }
        InetAddress ip = a.getAddress();
        if (ip instanceof Inet6Address && isMappedV4(ip.getAddress())) {
            try {
                byte[] b = ip.getAddress();
                ip = InetAddress.getByAddress(new byte[] {b[12], b[13], b[14], b[15]});
            } catch (UnknownHostException e) {
                return false;
            }
        }
        for (Cidr c : allowed) {
            if (c.contains(ip)) {
                return true;
            }
        }
        return false;
    }

    private static boolean isMappedV4(byte[] b) {
        for (int i = 0; i < 10; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return (b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff;
    }

    /** Counts a sender outside the allowed sources, and logs it once per address (at most 1000 addresses). */
    private void forbidden(String source, SocketAddress remote) {
        pipeline.rejected(source, "forbidden-source");
        String who = Addresses.format(remote);
        if (warned.size() < 1000 && warned.add(who)) {
            LOG.warn("dropping syslog {} from {}: not in ingest.syslog.allowed-sources {}", source, who,
                    config.allowedSources());
        }
    }

    /** Binds the configured transports; throws when an address cannot be bound. */
    public void start() {
        HostPort udp = config.udp().isBlank() ? null : HostPort.parse(config.udp());
        HostPort tcp = config.tcp().isBlank() ? null : HostPort.parse(config.tcp());
        int max = config.maxMessageBytes();
        server = NettyServer.singleThread("syslog", "postwarden-syslog");
        if (udp != null) {
            try {
                udpAddress = server.bindUdp(udp.socketAddress(), max, new UdpHandler(max));
            } catch (Exception e) { // a BindException too, which Netty throws undeclared
                throw StartupFailure.of("ingest.syslog.udp", config.udp(), e);
            }
            warnIfPublic("UDP", udp);
        }
        if (tcp != null) {
            limit = new ConnectionLimit(config.maxConnections(), config.maxConnectionsPerSource(),
                    new ConnectionLimit.Events() {
                @Override
                public void opened(Channel channel) {
                }

                @Override
                public void refused(Channel channel, int max) {
                    LOG.warn("closing syslog TCP connection from {}: more than {} senders "
                            + "(ingest.syslog.max-connections)", Addresses.format(channel.remoteAddress()), max);
                    pipeline.rejected("syslog-tcp", "too-many-connections");
                }

                @Override
                public void refusedSource(Channel channel, int max) {
                    LOG.debug("closing syslog TCP connection from {}: more than {} from that address "
                            + "(ingest.syslog.max-connections-per-source)", Addresses.format(channel.remoteAddress()),
                            max);
                    pipeline.rejected("syslog-tcp", "too-many-connections-per-source");
                }
            });
            budget = new InputBudget("syslog", config.maxBufferedBytes(), "ingest.syslog.max-buffered-bytes");
            TcpHandler handler = new TcpHandler();
            SourceGate gate = new SourceGate();
            try {
                tcpAddress = server.bindTcp(tcp.socketAddress(), c -> c.pipeline()
                        .addLast(gate)
                        .addLast(limit)
                        .addLast(new IdleClose("syslog TCP", config.idleTimeout()))
                        .addLast(new RequestDeadline(config.requestDeadline(), "ingest.syslog.request-deadline",
                                budget))
                        .addLast(new SyslogFrameDecoder(max))
                        .addLast(handler));
            } catch (Exception e) {
                throw StartupFailure.of("ingest.syslog.tcp", config.tcp(), e);
            }
            warnIfPublic("TCP", tcp);
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

    /** The buffered input of all TCP senders, or null without TCP (for tests). */
    public InputBudget inputBudget() {
        return budget;
    }

    /** The TCP sender limit, or null without TCP (for tests). */
    public ConnectionLimit tcpLimit() {
        return limit;
    }

    public void stop(Duration grace) {
        if (server != null) {
            server.stop(grace);
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
        if (e == null && !parser.reads(m.program()) && m.message().indexOf(": ") > 0) {
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
            if (!allowed(p.sender())) {
                forbidden("syslog-udp", p.sender());
                return;
            }
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

    /** Closes a TCP connection from outside {@code ingest.syslog.allowed-sources} before anything is read. */
    @ChannelHandler.Sharable
    private final class SourceGate extends ChannelInboundHandlerAdapter {
        @Override
        public void channelActive(ChannelHandlerContext ctx) throws Exception {
            if (!allowed(ctx.channel().remoteAddress())) {
                forbidden("syslog-tcp", ctx.channel().remoteAddress());
                ctx.close();
                return;
            }
            super.channelActive(ctx);
        }
    }

    /** Frames and oversize marks from every TCP sender; the limit and the idle close are in front of it. */
    @ChannelHandler.Sharable
    private final class TcpHandler extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg == SyslogFrameDecoder.TOO_LONG) {
                pipeline.rejected("syslog-tcp", "too-long");
            } else if (msg instanceof String s) {
                message("syslog-tcp", s);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ProtocolException p = cause instanceof ProtocolException pe ? pe
                    : cause.getCause() instanceof ProtocolException pe ? pe : null;
            if (p != null) {
                pipeline.rejected("syslog-tcp", p.reason());
                LOG.warn("closing syslog TCP connection from {}: {}", Addresses.format(ctx.channel().remoteAddress()),
                        p.getMessage());
            } else if (cause instanceof DecoderException) {
                pipeline.rejected("syslog-tcp", "malformed");
                LOG.warn("closing syslog TCP connection from {}: {}", Addresses.format(ctx.channel().remoteAddress()),
                        cause.getMessage());
            } else {
                LOG.debug("syslog TCP connection from {} failed: {}", Addresses.format(ctx.channel().remoteAddress()),
                        cause.toString());
            }
            ctx.close();
        }
    }

    /** For logs: what is bound. */
    public String describe() {
        List<String> parts = new ArrayList<>();
        if (udpAddress != null) {
            parts.add("syslog udp " + Addresses.format(udpAddress));
        }
        if (tcpAddress != null) {
            parts.add("syslog tcp " + Addresses.format(tcpAddress));
        }
        return String.join(", ", parts);
    }
}
