package org.postwarden.transport;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import org.postwarden.config.Durations;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A request must be complete within a deadline of its first byte, and while it is not, the bytes it holds count
 * against the listener's {@link InputBudget}. The slow client that sends one byte every few minutes (and so is never
 * idle: {@link IdleClose} alone would keep it) is closed when the deadline passes, with a {@link ProtocolException}
 * of reason {@value #REASON} sent down the pipeline, whose end closes the connection (an HTTP listener answers 408
 * first). Between requests only the idle timeout applies.
 *
 * <p>Two ways to learn what a connection holds. In front of a {@link StrictDecoder} (policy, milter, syslog) the
 * decoder reports after each decoding pass exactly what it holds and whether it completed a request
 * ({@link #held}); the deadline starts when a pass leaves an unfinished request behind and ends when none is left.
 * In front of any other decoder (the HTTP codec of the auth-policy listener) it counts the bytes that arrived since
 * the request's first byte itself, and the request decoder calls {@link #complete()} when a whole request came
 * through. One instance per connection, used on its event loop only; timers are event-loop timers.
 */
public final class RequestDeadline extends ChannelInboundHandlerAdapter {
    /** The protocol-error reason of a connection closed by its deadline. */
    public static final String REASON = "slow-request";
    private final long nanos;
    private final String key;
    private final InputBudget budget;
    private ChannelHandlerContext ctx;
    private ScheduledFuture<?> timer;
    private long holding;
    private boolean exact;
    private boolean refused;
    private boolean closed;

    /**
     * @param deadline how long a request may take from its first byte (above zero)
     * @param key      the configuration key that sets it, named in the log line, e.g. {@code policy.request-deadline}
     * @param budget   the listener's budget for buffered input
     */
    public RequestDeadline(Duration deadline, String key, InputBudget budget) {
        if (deadline.toNanos() <= 0) {
            throw new IllegalArgumentException("request deadline: " + deadline + " (expected: above 0)");
        }
        this.nanos = deadline.toNanos();
        this.key = key;
        this.budget = budget;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext c) {
        this.ctx = c;
    }

    @Override
    public void channelRead(ChannelHandlerContext c, Object msg) {
        if (!exact && msg instanceof ByteBuf b && b.isReadable()) {
            if (refused) {
                ReferenceCountUtil.release(msg);
                return;
            }
            if (!hold(holding + b.readableBytes())) {
                refused = true;
                ReferenceCountUtil.release(msg);
                c.fireExceptionCaught(budget.exceeded());
                return;
            }
            start();
        }
        c.fireChannelRead(msg);
    }

    /**
     * A decoder's report after a decoding pass: it holds {@code bytes} of an unfinished request (0: none), and
     * {@code completed} says whether the pass finished a request (the deadline of a request that follows starts
     * anew). Throws the budget's {@link ProtocolException} when the holding would grow past the budget (the
     * decoder's own failure path then discards the input and the connection is closed).
     */
    public void held(long bytes, boolean completed) {
        exact = true;
        if (closed) {
            return;
        }
        if (completed || bytes == 0) {
            stopTimer();
        }
        if (!hold(bytes)) {
            throw budget.exceeded();
        }
        if (bytes > 0) {
            start();
        }
    }

    /** A {@link StrictDecoder} behind this reports what it holds: the bytes read are not counted here. */
    void exact() {
        exact = true;
    }

    /** The request that started the deadline is complete: its bytes are given back, the next byte starts anew. */
    public void complete() {
        stopTimer();
        hold(0);
    }

    /** Bytes this connection holds now (for tests). */
    long holding() {
        return holding;
    }

    private boolean hold(long bytes) {
        if (bytes == holding) {
            return true;
        }
        if (!budget.resize(holding, bytes)) {
            return false;
        }
        holding = bytes;
        return true;
    }

    private void start() {
        if (timer == null && ctx != null && !closed) {
            timer = ctx.executor().schedule(this::expired, nanos, TimeUnit.NANOSECONDS);
        }
    }

    private void stopTimer() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    private void expired() {
        timer = null;
        if (ctx.channel().isActive()) {
            ctx.fireExceptionCaught(new ProtocolException(REASON, "request not complete within "
                    + Durations.format(Duration.ofNanos(nanos)) + " of its first byte (" + key + ")"));
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext c) {
        close();
        c.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext c) {
        close();
    }

    /** The connection is gone: everything is given back, and a decoder's last reports change nothing. */
    private void close() {
        complete();
        closed = true;
    }
}
