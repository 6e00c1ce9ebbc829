package org.postwarden.transport;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.AttributeKey;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;

/**
 * Caps the connections open at once from one source address, for listeners whose clients are many (HTTP, syslog
 * TCP; never the MTA-facing ones, whose one source is the MTA). A connection over the cap is closed as soon as it
 * is active, before any byte is read, and goes no further down the pipeline. The count map holds only addresses
 * with open connections (an entry is removed with its last connection), so it is bounded by the listener's global
 * {@link ConnectionLimit}: put that one first. One instance is shared by all connections of a listener; lock-free
 * per address.
 */
@ChannelHandler.Sharable
public final class SourceConnectionLimit extends ChannelInboundHandlerAdapter {
    private static final AttributeKey<InetAddress> COUNTED = AttributeKey.valueOf("postwarden.source-counted");
    private final int max;
    private final BiConsumer<Channel, Integer> refused;
    private final ConcurrentHashMap<InetAddress, Integer> open = new ConcurrentHashMap<>();

    /**
     * @param max     most connections open at once from one address (at least 1)
     * @param refused called (on the event loop; must not block) for a connection closed because its address has
     *                {@code max} open already
     */
    public SourceConnectionLimit(int max, BiConsumer<Channel, Integer> refused) {
        if (max < 1) {
            throw new IllegalArgumentException("max: " + max + " (expected: >= 1)");
        }
        this.max = max;
        this.refused = refused;
    }

    /** Connections open now from {@code address}. */
    public int open(InetAddress address) {
        return open.getOrDefault(address, 0);
    }

    /** Addresses with a connection open now. */
    public int sources() {
        return open.size();
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        InetAddress a = address(ctx.channel().remoteAddress());
        if (a != null) {
            boolean[] over = new boolean[1];
            open.compute(a, (k, n) -> {
                int c = n == null ? 0 : n;
                if (c >= max) {
                    over[0] = true;
                    return n;
                }
                return c + 1;
            });
            if (over[0]) {
                refused.accept(ctx.channel(), max);
                ctx.close();
                return;
            }
            ctx.channel().attr(COUNTED).set(a);
        }
        super.channelActive(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        InetAddress a = ctx.channel().attr(COUNTED).getAndSet(null);
        if (a != null) {
            open.computeIfPresent(a, (k, n) -> n <= 1 ? null : n - 1);
        }
        super.channelInactive(ctx);
    }

    private static InetAddress address(SocketAddress s) {
        return s instanceof InetSocketAddress i ? i.getAddress() : null;
    }
}
