package org.postwarden.transport;

import org.postwarden.metrics.PostwardenMetrics;

import java.util.concurrent.atomic.AtomicLong;

/**
 * A listener's replies queued over all its connections ({@link ReplyBackpressure}), and the most one connection
 * ever had queued, in replies and in bytes waiting for the socket (for tests and benchmarks). Thread-safe
 * (lock-free); one instance per listener.
 */
public final class QueuedReplies {
    private final String listener;
    private final AtomicLong replies = new AtomicLong();
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicLong peakReplies = new AtomicLong();
    private final AtomicLong peakBytes = new AtomicLong();

    /** @param listener bounded listener name, for the gauge label */
    public QueuedReplies(String listener) {
        this.listener = listener;
    }

    /**
     * Registers {@code postwarden_queued_replies{listener}} (replies queued now) and
     * {@code postwarden_queued_reply_bytes{listener}} (their bytes waiting for the socket).
     */
    public QueuedReplies register(PostwardenMetrics metrics) {
        metrics.gauge("postwarden.queued.replies", "Replies queued for clients: decisions running and replies "
                + "not yet taken by the socket", replies::get, "listener", listener);
        metrics.gauge("postwarden.queued.reply.bytes", "Bytes of replies waiting for the socket", bytes::get,
                "listener", listener);
        return this;
    }

    void changed(long deltaReplies, long deltaBytes) {
        replies.addAndGet(deltaReplies);
        if (deltaBytes != 0) {
            bytes.addAndGet(deltaBytes);
        }
    }

    void peak(int connectionReplies, long connectionBytes) {
        if (connectionReplies > peakReplies.get()) {
            peakReplies.accumulateAndGet(connectionReplies, Math::max);
        }
        if (connectionBytes > peakBytes.get()) {
            peakBytes.accumulateAndGet(connectionBytes, Math::max);
        }
    }

    /** Replies queued now over all connections. */
    public long replies() {
        return replies.get();
    }

    /** Bytes of replies waiting for the socket now, over all connections. */
    public long bytes() {
        return bytes.get();
    }

    /** The most replies one connection ever had queued. */
    public long peakReplies() {
        return peakReplies.get();
    }

    /** The most reply bytes one connection ever had waiting for the socket. */
    public long peakBytes() {
        return peakBytes.get();
    }
}
