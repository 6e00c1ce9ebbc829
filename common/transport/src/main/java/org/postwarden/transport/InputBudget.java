package org.postwarden.transport;

import org.postwarden.metrics.PostwardenMetrics;

import java.util.concurrent.atomic.AtomicLong;

/**
 * A listener's budget for buffered input: the bytes that all its connections together hold of requests they have
 * not finished sending (a decoder's partial line or packet, a request's lines before its end). Each connection's
 * {@link RequestDeadline} charges what its connection holds and gives it back when the request completes or the
 * connection closes. A connection whose holding would grow past the budget is refused with a
 * {@link ProtocolException} of reason {@value #REASON} (closed, its bytes freed); a holding that shrinks, or a
 * complete request that leaves nothing behind, is never refused. So the memory a listener's input can take is
 * bounded in total, not only per connection: {@code max-connections × max-request-bytes} is no longer the bound.
 *
 * <p>Which connection is refused is the one that grows at the moment the budget is full: with a slow client holding
 * most of it, a normal client's request that arrives split in two reads can be refused too; the request deadline
 * frees what slow clients hold, so size the budget well above what normal traffic holds (Postfix sends each request
 * whole). Thread-safe (lock-free); one instance per listener.
 */
public final class InputBudget {
    /** The protocol-error reason of a connection refused because the budget is full. */
    public static final String REASON = "input-budget";
    private final String listener;
    private final String key;
    private final long max;
    private final AtomicLong held = new AtomicLong();
    private final AtomicLong peak = new AtomicLong();

    /**
     * @param listener bounded listener name, for the message and the gauge label
     * @param maxBytes the most bytes all connections may hold together (at least 1)
     * @param key      the configuration key that sets it, named in the refusal message
     */
    public InputBudget(String listener, long maxBytes, String key) {
        if (maxBytes < 1) {
            throw new IllegalArgumentException("maxBytes: " + maxBytes + " (expected: >= 1)");
        }
        this.listener = listener;
        this.max = maxBytes;
        this.key = key;
    }

    /** A budget that never refuses (for tests and tools that bound nothing). */
    public static InputBudget unlimited(String listener) {
        return new InputBudget(listener, Long.MAX_VALUE, "none");
    }

    /**
     * Registers {@code postwarden_buffered_input_bytes{listener}}: the bytes the listener's connections hold now.
     */
    public InputBudget register(PostwardenMetrics metrics) {
        metrics.gauge("postwarden.buffered.input.bytes", "Bytes of unfinished requests held by a listener's "
                + "connections", this::held, "listener", listener);
        return this;
    }

    /**
     * Changes one connection's holding from {@code from} to {@code to} bytes. A shrinking holding always succeeds;
     * a growing one fails (and nothing changes) when the total would pass the budget.
     */
    boolean resize(long from, long to) {
        long delta = to - from;
        if (delta <= 0) {
            held.addAndGet(delta);
            return true;
        }
        while (true) {
            long cur = held.get();
            long next = cur + delta;
            if (next > max || next < 0) {
                return false;
            }
            if (held.compareAndSet(cur, next)) {
                peak.accumulateAndGet(next, Math::max);
                return true;
            }
        }
    }

    /** The refusal of a connection whose holding would pass the budget. */
    ProtocolException exceeded() {
        return new ProtocolException(REASON, "buffered input of all " + listener + " connections would exceed "
                + max + " bytes (" + key + ")");
    }

    /** Bytes held now, over all connections. */
    public long held() {
        return held.get();
    }

    /** The most bytes ever held at once (for tests and benchmarks). */
    public long peak() {
        return peak.get();
    }

    /** The budget. */
    public long max() {
        return max;
    }
}
