package org.postwarden.reputation;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import org.postwarden.model.TimeSource;

import java.time.Duration;

/**
 * Short-lived "already counted" marks, so each thing is counted once although several requests (or several
 * listeners) report it: a connection (client address and port), a message ({@code instance} or queue id), a HELO
 * evaluation. Bounded and expiring; a mark that is evicted early only risks counting twice.
 *
 * <p>{@link #occurrence} pairs up sightings of things that can legitimately repeat (a recipient given twice, a
 * client port reused): per key it counts sightings per source, and the number of occurrences is the largest count
 * of any one source.
 */
public final class SessionMarks {
    private final Cache<String, Boolean> marks;
    private final Cache<String, Tally> tallies;

    public SessionMarks(long maxEntries, Duration ttl, TimeSource time) {
        this.marks = Caffeine.newBuilder()
                .executor(Runnable::run) // maintenance inline: cheaper than waking a pool thread per write
                .maximumSize(maxEntries)
                .expireAfterWrite(ttl)
                .ticker(time::nanos)
                .build();
        this.tallies = Caffeine.newBuilder()
                .executor(Runnable::run) // maintenance inline: cheaper than waking a pool thread per write
                .maximumSize(maxEntries)
                .expireAfterWrite(ttl)
                .ticker(time::nanos)
                .build();
    }

    /**
     * Records one sighting of {@code key} by {@code source} and returns true when it is a new occurrence, that is
     * when {@code source} has now seen {@code key} more often than any source had before. Two listeners reporting
     * the same events (policy server and milter both see each RCPT) count each occurrence once in any interleaving;
     * a single listener counts every sighting. {@code source} must come from a small fixed set (listener names).
     */
    public boolean occurrence(String key, String source) {
        return tallies.get(key, k -> new Tally()).sighting(source);
    }

    /** Marks {@code key}; returns true only for the first caller. */
    public boolean first(String key) {
        return marks.asMap().putIfAbsent(key, Boolean.TRUE) == null;
    }

    /** Whether {@code key} is marked. */
    public boolean marked(String key) {
        return marks.getIfPresent(key) != null;
    }

    public long size() {
        return marks.estimatedSize() + tallies.estimatedSize();
    }

    /** Sightings of one key per source; a handful of sources at most. */
    private static final class Tally {
        private String[] sources = new String[0];
        private int[] counts = new int[0];
        private int max;

        synchronized boolean sighting(String source) {
            int i = 0;
            while (i < sources.length && !sources[i].equals(source)) {
                i++;
            }
            if (i == sources.length) {
                sources = java.util.Arrays.copyOf(sources, i + 1);
                counts = java.util.Arrays.copyOf(counts, i + 1);
                sources[i] = source;
            }
            int n = ++counts[i];
            if (n > max) {
                max = n;
                return true;
            }
            return false;
        }
    }
}
