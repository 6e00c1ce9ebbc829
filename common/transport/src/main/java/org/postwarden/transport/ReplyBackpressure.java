package org.postwarden.transport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufHolder;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;

/**
 * Write back-pressure for one connection: the replies queued for a client are bounded, whether or not it reads them.
 * A reply is queued from the moment its request is {@linkplain #accept() accepted} (its decision may still be
 * running) until the kernel has taken its bytes. While the channel is not writable (the bytes waiting for the socket
 * passed the high water mark of {@link NettyServer}) or {@code max} replies are queued, nothing more is read from
 * the connection ({@code autoRead} off; on again once it drains); a client that pushes past {@code max} anyway
 * (pipelined requests in one read, which Postfix never sends: it waits for each reply) is cut off with a
 * {@link ProtocolException} of reason {@value #REASON}: the protocol handler drops what it reads after that
 * ({@link #accept()} says false) and closes the connection. A client that sends and never reads is so stopped after
 * at most {@code max} replies, and closed by the idle timeout if it neither reads nor sends.
 *
 * <p>Put it at the head of the pipeline (right after the connection limit), so every reply's bytes pass through
 * it; a protocol handler finds it with {@code pipeline().get(ReplyBackpressure.class)}. One instance per
 * connection, used on its event loop only; the listener-wide {@link QueuedReplies} is shared.
 */
public final class ReplyBackpressure extends ChannelDuplexHandler {
    /** The protocol-error reason of a connection cut off for too many queued replies. */
    public static final String REASON = "too-many-queued-replies";
    private final int max;
    private final String key;
    private final QueuedReplies shared;
    private ChannelHandlerContext ctx;
    private int awaiting;
    private int unwritten;
    private long unwrittenBytes;
    private boolean cut;

    /**
     * @param maxQueuedReplies the most replies queued for this connection (at least 1)
     * @param key              the configuration key that sets it, named in the log line
     * @param shared           the listener's totals
     */
    public ReplyBackpressure(int maxQueuedReplies, String key, QueuedReplies shared) {
        if (maxQueuedReplies < 1) {
            throw new IllegalArgumentException("maxQueuedReplies: " + maxQueuedReplies + " (expected: >= 1)");
        }
        this.max = maxQueuedReplies;
        this.key = key;
        this.shared = shared;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext c) {
        this.ctx = c;
    }

    /**
     * A request was read whose reply is still to come; call {@link #answered()} when its reply is written (or will
     * never be). Returns false when the connection is cut off (now or before): drop the request, reply nothing.
     */
    public boolean accept() {
        if (cut) {
            return false;
        }
        awaiting++;
        shared.changed(1, 0);
        if (!update()) {
            if (awaiting > 0) { // dropped: its reply never comes (unless the close already gave everything back)
                awaiting--;
                shared.changed(-1, 0);
            }
            return false;
        }
        return true;
    }

    /** The reply of an accepted request is being written now (or will not be). */
    public void answered() {
        if (awaiting > 0) {
            awaiting--;
            shared.changed(-1, 0);
            update();
        }
    }

    /** Whether the connection was cut off for too many queued replies. */
    public boolean cutOff() {
        return cut;
    }

    /** Replies queued now: accepted and unanswered, plus written and not yet taken by the kernel. */
    public int queued() {
        return awaiting + unwritten;
    }

    @Override
    public void write(ChannelHandlerContext c, Object msg, ChannelPromise promise) {
        if (cut) {
            c.write(msg, promise); // the connection is closing: nothing more is counted
            return;
        }
        long bytes = msg instanceof ByteBuf b ? b.readableBytes()
                : msg instanceof ByteBufHolder h ? h.content().readableBytes() : 0;
        unwritten++;
        unwrittenBytes += bytes;
        shared.changed(1, bytes);
        ChannelPromise p = promise.unvoid();
        p.addListener(f -> {
            unwritten--;
            unwrittenBytes -= bytes;
            shared.changed(-1, -bytes);
            update();
        });
        c.write(msg, p);
        update();
    }

    @Override
    public void channelInactive(ChannelHandlerContext c) throws Exception {
        // requests whose decision is still running when the connection goes: their replies are never written
        shared.changed(-awaiting, 0);
        awaiting = 0;
        super.channelInactive(c);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext c) throws Exception {
        update();
        super.channelWritabilityChanged(c);
    }

    /** Reads while there is room, cuts off past the cap; returns whether the connection is still served. */
    private boolean update() {
        int q = awaiting + unwritten;
        shared.peak(q, unwrittenBytes);
        if (q > max && !cut) {
            cut = true;
            ctx.channel().config().setAutoRead(false);
            ctx.fireExceptionCaught(new ProtocolException(REASON, "more than " + max
                    + " replies queued for a client that does not read them (" + key + ")"));
            return false;
        }
        boolean read = !cut && q < max && ctx.channel().isWritable();
        if (ctx.channel().config().isAutoRead() != read) {
            ctx.channel().config().setAutoRead(read);
        }
        return !cut;
    }
}
