package org.postwarden.app;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.util.concurrent.ScheduledFuture;
import org.postwarden.model.Addresses;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A request on the HTTP listener must be complete within {@code http.request-timeout} of its first byte: the slow
 * client that sends a byte every few seconds (never idle) is answered 408 and closed. Sits before the HTTP codec,
 * where the bytes arrive, so its 408 is written raw (whatever state the codec is in); the request handler calls
 * {@link #complete()} when a whole request came through. One instance per connection, used on its event loop only.
 */
final class HttpDeadline extends ChannelDuplexHandler {
    private static final Logger LOG = LoggerFactory.getLogger(HttpDeadline.class);
    private static final byte[] TIMEOUT = ("HTTP/1.1 408 Request Timeout\r\nContent-Type: text/plain\r\n"
            + "Content-Length: 20\r\nConnection: close\r\n\r\nrequest not complete").getBytes(StandardCharsets.US_ASCII);
    private final long nanos;
    private final Runnable expired;
    private ScheduledFuture<?> timer;

    /**
     * @param deadline how long a request may take from its first byte
     * @param expired  counts an expiry (on the event loop; must not block)
     */
    HttpDeadline(Duration deadline, Runnable expired) {
        this.nanos = deadline.toNanos();
        this.expired = expired;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (timer == null && msg instanceof ByteBuf b && b.isReadable()) {
            timer = ctx.executor().schedule(() -> expire(ctx), nanos, TimeUnit.NANOSECONDS);
        }
        ctx.fireChannelRead(msg);
    }

    private void expire(ChannelHandlerContext ctx) {
        timer = null;
        if (ctx.channel().isActive()) {
            expired.run();
            LOG.debug("http: closing {}: request not complete within {} ms of its first byte",
                    Addresses.format(ctx.channel().remoteAddress()), TimeUnit.NANOSECONDS.toMillis(nanos));
            ctx.writeAndFlush(Unpooled.wrappedBuffer(TIMEOUT)).addListener(ChannelFutureListener.CLOSE);
        }
    }

    /** The request that started the deadline is complete: the next byte starts a new one. */
    void complete() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        complete();
        ctx.fireChannelInactive();
    }
}
