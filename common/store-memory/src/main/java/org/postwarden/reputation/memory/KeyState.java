package org.postwarden.reputation.memory;

import org.postwarden.model.Decay;
import org.postwarden.reputation.CounterLayout;
import org.postwarden.reputation.CounterType;

/**
 * Mutable per-key state: sliding-window counters and a decaying score. Guarded by its own monitor; kept small
 * because the store holds millions of them.
 */
final class KeyState {
    long lastMillis;
    int[] counts;
    float score;
    long scoreMillis;

    KeyState(int slots, long now) {
        this.counts = new int[2 * slots];
        this.lastMillis = now;
        this.scoreMillis = now;
    }

    /** Adds {@code n} to every slot of {@code type} and returns the estimates of those slots. */
    synchronized long[] add(CounterLayout layout, CounterType type, int n, long now) {
        Counters.roll(counts, layout, lastMillis, now);
        lastMillis = Math.max(lastMillis, now);
        int[] idx = layout.indicesOf(type);
        long[] out = new long[idx.length];
        for (int k = 0; k < idx.length; k++) {
            if (n > 0) {
                Counters.add(counts, idx[k], n);
            }
            out[k] = Counters.estimate(counts, layout, idx[k], now);
        }
        return out;
    }

    /** Estimates of every slot, in layout order. */
    synchronized long[] estimates(CounterLayout layout, long now) {
        Counters.roll(counts, layout, lastMillis, now);
        lastMillis = Math.max(lastMillis, now);
        long[] out = new long[layout.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = Counters.estimate(counts, layout, i, now);
        }
        return out;
    }

    /** Decayed score at {@code now}. */
    synchronized double score(long now, double halfLifeMillis) {
        return decayed(now, halfLifeMillis);
    }

    synchronized double addScore(double weight, long now, double halfLifeMillis) {
        double s = decayed(now, halfLifeMillis) + weight;
        if (s < 0 && weight < 0) {
            s = Math.max(s, -1000);
        }
        score = (float) s;
        scoreMillis = Math.max(scoreMillis, now);
        return s;
    }

    private double decayed(long now, double halfLifeMillis) {
        if (score == 0f) {
            return 0;
        }
        return Decay.decayed(score, now - scoreMillis, halfLifeMillis);
    }

    /**
     * Adds {@code other} (same layout, not shared with any other thread) into this state: counters bucket by
     * bucket after rolling both to {@code now}, scores after decaying both to {@code now}.
     */
    synchronized void absorb(KeyState other, CounterLayout layout, long now, double halfLifeMillis) {
        Counters.roll(counts, layout, lastMillis, now);
        lastMillis = Math.max(lastMillis, now);
        Counters.roll(other.counts, layout, other.lastMillis, now);
        for (int i = 0; i < counts.length && i < other.counts.length; i++) {
            counts[i] = (int) Math.min(Integer.MAX_VALUE, (long) counts[i] + other.counts[i]);
        }
        score = (float) (decayed(now, halfLifeMillis) + other.decayed(now, halfLifeMillis));
        scoreMillis = Math.max(scoreMillis, now);
    }

    /** True when nothing in this state matters any more at {@code now} (all counters zero, score negligible). */
    synchronized boolean idle(CounterLayout layout, long now, double halfLifeMillis) {
        Counters.roll(counts, layout, lastMillis, now);
        lastMillis = Math.max(lastMillis, now);
        for (int c : counts) {
            if (c != 0) {
                return false;
            }
        }
        return Math.abs(decayed(now, halfLifeMillis)) < 0.01;
    }
}
