package org.postwarden.reputation.memory;

import org.postwarden.model.TimeSource;
import org.postwarden.reputation.SessionMarks;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.time.Duration;
import java.util.Arrays;

/**
 * Short-lived "already counted" marks, so each thing is counted once although several requests (or several
 * listeners) report it: a connection (client address and port), a message ({@code instance} or queue id), a HELO
 * evaluation. Bounded and expiring; a mark that is dropped early only risks counting twice.
 *
 * <p>{@link #occurrence} pairs up sightings of things that can legitimately repeat (a recipient given twice, a
 * client port reused): per key it counts sightings per source, and the number of occurrences is the largest count
 * of any one source.
 *
 * <p>Layout: no objects per mark. Keys are 64-bit hashes of the key strings, held with their values in open-addressed
 * {@code long} arrays, in 64 stripes with a lock each. Each stripe keeps two generations: new marks go into the
 * current one, lookups see both; the current generation becomes the old one (and the old one is dropped) when it is
 * half the time-to-live old or holds its share of {@code maxEntries / 2}, and a generation is dropped once it began
 * a time-to-live ago. So a mark lives at least half the time-to-live (unless the table is full) and never longer than
 * the time-to-live. Two different keys with the same
 * hash would share a mark: with a few million live marks the chance is below one in a million million, and the cost
 * would be one thing not counted. Thread-safe.
 */
public final class MemorySessionMarks implements SessionMarks {
    /** Listener names get a slot each in a tally (four slots; a fifth name shares the last). */
    private static final String[] SOURCES = new String[4];

    private final MarkTable marks;
    private final MarkTable tallies;
    private final long capacity;
    private final Duration ttl;

    public MemorySessionMarks(long maxEntries, Duration ttl, TimeSource time) {
        this.marks = new MarkTable(maxEntries, ttl, time);
        this.tallies = new MarkTable(maxEntries, ttl, time);
        this.capacity = maxEntries;
        this.ttl = ttl;
    }

    long capacity() {
        return capacity;
    }

    Duration ttl() {
        return ttl;
    }

    /** Adds every entry of {@code other} that this instance lacks. */
    void absorb(MemorySessionMarks other) {
        marks.absorb(other.marks);
        tallies.absorb(other.tallies);
    }

    /**
     * Records one sighting of {@code key} by {@code source} and returns true when it is a new occurrence, that is
     * when {@code source} has now seen {@code key} more often than any source had before. Two listeners reporting
     * the same events (policy server and milter both see each RCPT) count each occurrence once in any interleaving;
     * a single listener counts every sighting. {@code source} must come from a small fixed set (listener names).
     */
    public boolean occurrence(String key, String source) {
        return tallies.sighting(hash(key), slot(source));
    }

    /** Marks {@code key}; returns true only for the first caller. */
    public boolean first(String key) {
        return marks.mark(hash(key));
    }

    /** Whether {@code key} is marked. */
    public boolean marked(String key) {
        return marks.contains(hash(key));
    }

    /** Marks and tallies held now (approximate: a key may be in both generations). */
    public long size() {
        return marks.size() + tallies.size();
    }

    /**
     * Writes every live mark and tally with the start time of its generation, and the listener names of the tally
     * slots, so that a restart inside a mark's lifetime does not count its thing again.
     */
    void writeTo(DataOutput out) throws IOException {
        synchronized (SOURCES) {
            for (String name : SOURCES) {
                out.writeUTF(name == null ? "" : name);
            }
        }
        marks.writeTo(out);
        tallies.writeTo(out);
    }

    /**
     * Reads what {@link #writeTo} wrote into this (empty or live) instance; returns the entries read. Tallies are
     * dropped when the listener names of their slots differ from this process's (they would count for the wrong
     * listener); marks are kept. Entries past their lifetime by this clock are dropped as usual.
     */
    long readFrom(DataInput in) throws IOException {
        boolean sameSources = true;
        synchronized (SOURCES) {
            for (int i = 0; i < SOURCES.length; i++) {
                String name = in.readUTF();
                if (name.isEmpty()) {
                    continue;
                }
                if (SOURCES[i] == null && !Arrays.asList(SOURCES).contains(name)) {
                    SOURCES[i] = name;
                }
                sameSources &= name.equals(SOURCES[i]);
            }
        }
        long n = marks.readFrom(in, true);
        return n + tallies.readFrom(in, sameSources);
    }

    /** The tally slot of listener {@code source}: 0 to 3. */
    private static int slot(String source) {
        for (int i = 0; i < SOURCES.length; i++) {
            String s = SOURCES[i];
            if (s != null && s.equals(source)) {
                return i;
            }
        }
        synchronized (SOURCES) {
            for (int i = 0; i < SOURCES.length; i++) {
                if (SOURCES[i] == null) {
                    SOURCES[i] = source;
                    return i;
                }
                if (SOURCES[i].equals(source)) {
                    return i;
                }
            }
        }
        return SOURCES.length - 1;
    }

    /** A 64-bit hash of {@code key} (FNV-1a over the chars, then a finalizing mix); never 0. */
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
        return h == 0 ? 1 : h;
    }
}
