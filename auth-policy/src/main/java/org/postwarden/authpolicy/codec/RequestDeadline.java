package org.postwarden.authpolicy.codec;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.util.concurrent.ScheduledFuture;
import org.postwarden.config.Durations;
import org.postwarden.transport.ProtocolException;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A request must be complete within a deadline of its first byte: the slow client that sends one byte every few
 * seconds (and so is never idle) is closed too. Sits before the HTTP codec, where the bytes arrive; the request
 * decoder calls {@link #complete()} when a whole request came through. When the deadline passes, a
 * {@link ProtocolException} ({@link HttpProblems#SLOW}) goes down the pipeline, whose end answers 408 and closes.
 * One instance per connection, used on its event loop only.
 */
public final class RequestDeadline extends ChannelDuplexHandler {
    private final long nanos;
    private ScheduledFuture<?> timer;

    public RequestDeadline(Duration deadline) {
        this.nanos = deadline.toNanos();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (timer == null && msg instanceof ByteBuf b && b.isReadable()) {
            timer = ctx.executor().schedule(() -> expired(ctx), nanos, TimeUnit.NANOSECONDS);
        }
        ctx.fireChannelRead(msg);
    }

    private void expired(ChannelHandlerContext ctx) {
        timer = null;
        if (ctx.channel().isActive()) {
            ctx.fireExceptionCaught(new ProtocolException(HttpProblems.SLOW, "request not complete within "
                    + Durations.format(Duration.ofNanos(nanos)) + " of its first byte (auth-policy.request-timeout)"));
        }
    }

    /** The request that started the deadline is complete: the next byte starts a new one. */
    public void complete() {
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
