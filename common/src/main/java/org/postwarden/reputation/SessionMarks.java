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
 *
 * <p>Keys are kept as 64-bit hashes of the key strings (a boxed {@code Long} instead of a {@code String} and its
 * bytes: about 55 bytes less per mark). Two different keys with the same hash would share a mark; with at most a
 * few million live marks the chance is below one in a million million, and the cost would be one thing not counted.
 */
public final class SessionMarks {
    private final Cache<Long, Boolean> marks;
    private final Cache<Long, Tally> tallies;

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
        return tallies.get(hash(key), k -> new Tally()).sighting(source);
    }

    /** Marks {@code key}; returns true only for the first caller. */
    public boolean first(String key) {
        return marks.asMap().putIfAbsent(hash(key), Boolean.TRUE) == null;
    }

    /** Whether {@code key} is marked. */
    public boolean marked(String key) {
        return marks.getIfPresent(hash(key)) != null;
    }

    public long size() {
        return marks.estimatedSize() + tallies.estimatedSize();
    }

    /** A 64-bit hash of {@code key} (FNV-1a over the chars, then a finalizing mix). */
    static long hash(String key) {
        long h = 0xcbf29ce484222325L;
        for (int i = 0; i < key.length(); i++) {
            h ^= key.charAt(i);
            h *= 0x100000001b3L;
        }
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return h;
    }

    /**
     * Sightings of one key per source. Sources come from a handful of listener names: the first two get fields of
     * their own (the common case: policy server and milter), further ones share small arrays.
     */
    private static final class Tally {
        private String first;
        private int firstCount;
        private String second;
        private int secondCount;
        private int max;
        private String[] more;
        private int[] moreCounts;

        synchronized boolean sighting(String source) {
            int n;
            if (first == null || first.equals(source)) {
                first = source;
                n = ++firstCount;
            } else if (second == null || second.equals(source)) {
                second = source;
                n = ++secondCount;
            } else {
                n = other(source);
            }
            if (n > max) {
                max = n;
                return true;
            }
            return false;
        }

        private int other(String source) {
            if (more == null) {
                more = new String[0];
                moreCounts = new int[0];
            }
            int i = 0;
            while (i < more.length && !more[i].equals(source)) {
                i++;
            }
            if (i == more.length) {
                more = java.util.Arrays.copyOf(more, i + 1);
                moreCounts = java.util.Arrays.copyOf(moreCounts, i + 1);
                more[i] = source;
            }
            return ++moreCounts[i];
        }
    }
}
