package org.postwarden.reputation.memory;

import org.postwarden.reputation.CounterLayout;

/**
 * Two-bucket sliding-window counters packed in an {@code int[]}: for slot {@code i}, {@code a[2i]} is the current
 * bucket and {@code a[2i+1]} the previous one; buckets are aligned to multiples of the window length. The time of
 * the last update is kept by the caller. Not thread-safe: callers hold the owning state's monitor.
 */
final class Counters {
    private Counters() {
    }

    /** Rolls every slot's buckets forward from {@code lastMillis} to {@code nowMillis}. */
    static void roll(int[] a, CounterLayout layout, long lastMillis, long nowMillis) {
        if (nowMillis <= lastMillis) {
            return;
        }
        for (int i = 0; i < layout.size(); i++) {
            long w = layout.slots().get(i).windowSeconds() * 1000L;
            long then = Math.floorDiv(lastMillis, w);
            long now = Math.floorDiv(nowMillis, w);
            if (now == then) {
                continue;
            }
            if (now == then + 1) {
                a[2 * i + 1] = a[2 * i];
            } else {
                a[2 * i + 1] = 0;
            }
            a[2 * i] = 0;
        }
    }

    /** Sliding estimate for slot {@code i} at {@code nowMillis} (after {@link #roll}). */
    static long estimate(int[] a, CounterLayout layout, int i, long nowMillis) {
        long w = layout.slots().get(i).windowSeconds() * 1000L;
        long into = Math.floorMod(nowMillis, w);
        double prevWeight = 1.0 - (double) into / w;
        return a[2 * i] + (long) Math.floor(a[2 * i + 1] * prevWeight);
    }

    static void add(int[] a, int i, int n) {
        long v = (long) a[2 * i] + n;
        a[2 * i] = (int) Math.min(Integer.MAX_VALUE, v);
    }
}
