package org.postwarden.bench;

/**
 * A log-linear latency histogram in nanoseconds: exact below 128 ns, then 64 linear sub-buckets per power of two,
 * so a reported percentile is at most 1/64 (1.6%) above the true value. Fixed size (about 30 KB), no allocation
 * when recording. Not thread-safe: one per thread, {@link #add merged} at the end.
 */
public final class LatencyHistogram {
    private static final int SUB_BITS = 6;
    private static final int SUB = 1 << SUB_BITS;
    private static final int LINEAR = 2 * SUB;
    private final long[] counts = new long[LINEAR + (63 - SUB_BITS) * SUB];
    private long total;
    private long max;
    private long min = Long.MAX_VALUE;
    private double sum;

    static int index(long v) {
        if (v < LINEAR) {
            return (int) v;
        }
        int e = 63 - Long.numberOfLeadingZeros(v);
        int shift = e - SUB_BITS;
        int mantissa = (int) (v >>> shift);
        return LINEAR + (e - SUB_BITS - 1) * SUB + (mantissa - SUB);
    }

    /** Highest value that falls into bucket {@code i}. */
    static long upper(int i) {
        if (i < LINEAR) {
            return i;
        }
        int k = i - LINEAR;
        int e = k / SUB + SUB_BITS + 1;
        int mantissa = k % SUB + SUB;
        int shift = e - SUB_BITS;
        return ((long) (mantissa + 1) << shift) - 1;
    }

    public void record(long nanos) {
        long v = Math.max(0, nanos);
        counts[index(v)]++;
        total++;
        sum += v;
        if (v > max) {
            max = v;
        }
        if (v < min) {
            min = v;
        }
    }

    public void add(LatencyHistogram o) {
        for (int i = 0; i < counts.length; i++) {
            counts[i] += o.counts[i];
        }
        total += o.total;
        sum += o.sum;
        max = Math.max(max, o.max);
        min = Math.min(min, o.min);
    }

    public void reset() {
        java.util.Arrays.fill(counts, 0);
        total = 0;
        sum = 0;
        max = 0;
        min = Long.MAX_VALUE;
    }

    public long count() {
        return total;
    }

    public long max() {
        return max;
    }

    public long min() {
        return total == 0 ? 0 : min;
    }

    public double mean() {
        return total == 0 ? 0 : sum / total;
    }

    /** The value at percentile {@code p} (0..100), as the bucket's upper bound capped at the exact maximum. */
    public long percentile(double p) {
        if (total == 0) {
            return 0;
        }
        long rank = Math.max(1, (long) Math.ceil(p / 100.0 * total));
        long seen = 0;
        for (int i = 0; i < counts.length; i++) {
            seen += counts[i];
            if (seen >= rank) {
                return Math.min(upper(i), max);
            }
        }
        return max;
    }
}
