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
    private static final int STRIPE_BITS = 6;
    private static final int STRIPES = 1 << STRIPE_BITS;
    /** Listener names get a slot each in a tally (four slots; a fifth name shares the last). */
    private static final String[] SOURCES = new String[4];

    private final Table marks;
    private final Table tallies;
    private final long capacity;
    private final Duration ttl;

    public MemorySessionMarks(long maxEntries, Duration ttl, TimeSource time) {
        this.marks = new Table(maxEntries, ttl, time);
        this.tallies = new Table(maxEntries, ttl, time);
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

    /** Hash to value, striped; values are never 0 (0 means absent). */
    private static final class Table {
        private final Stripe[] stripes = new Stripe[STRIPES];

        Table(long maxEntries, Duration ttl, TimeSource time) {
            int perGeneration = (int) Math.max(16, Math.min(1 << 26, maxEntries / 2 / STRIPES));
            for (int i = 0; i < STRIPES; i++) {
                stripes[i] = new Stripe(perGeneration, ttl.toMillis(), time);
            }
        }

        private Stripe stripe(long h) {
            return stripes[(int) (h >>> (64 - STRIPE_BITS))];
        }

        boolean mark(long h) {
            Stripe s = stripe(h);
            synchronized (s) {
                s.age();
                if (s.get(h) != 0) {
                    return false;
                }
                s.put(h, 1);
                return true;
            }
        }

        boolean contains(long h) {
            Stripe s = stripe(h);
            synchronized (s) {
                s.age();
                return s.get(h) != 0;
            }
        }

        /** Adds one to {@code slot}'s count of {@code h}; true when it is now above every count before. */
        boolean sighting(long h, int slot) {
            Stripe s = stripe(h);
            synchronized (s) {
                s.age();
                long v = s.get(h);
                int max = 0;
                for (int i = 0; i < 4; i++) {
                    max = Math.max(max, count(v, i));
                }
                int n = Math.min(count(v, slot) + 1, 0x7FFF);
                long next = (v & ~(0x7FFFL << (15 * slot))) | ((long) n << (15 * slot)) | Long.MIN_VALUE;
                s.put(h, next);
                return n > max;
            }
        }

        private static int count(long v, int slot) {
            return (int) ((v >>> (15 * slot)) & 0x7FFF);
        }

        long size() {
            long n = 0;
            for (Stripe s : stripes) {
                synchronized (s) {
                    n += s.size + s.oldSize;
                }
            }
            return n;
        }

        void absorb(Table other) {
            for (int i = 0; i < STRIPES; i++) {
                Stripe from = other.stripes[i];
                Stripe to = stripes[i];
                synchronized (from) {
                    synchronized (to) {
                        copy(from.keys, from.values, to);
                        copy(from.oldKeys, from.oldValues, to);
                    }
                }
            }
        }

        private static void copy(long[] keys, long[] values, Stripe to) {
            for (int j = 0; j < keys.length; j++) {
                if (keys[j] != 0 && to.get(keys[j]) == 0) {
                    to.put(keys[j], values[j]);
                }
            }
        }

        void writeTo(DataOutput out) throws IOException {
            out.writeInt(STRIPES);
            for (Stripe s : stripes) {
                synchronized (s) {
                    s.age();
                    writeGeneration(out, s.started, s.keys, s.values, s.size);
                    writeGeneration(out, s.oldStarted, s.oldKeys, s.oldValues, s.oldSize);
                }
            }
        }

        private static void writeGeneration(DataOutput out, long started, long[] keys, long[] values, int size)
                throws IOException {
            out.writeLong(started);
            out.writeInt(size);
            for (int i = 0; i < keys.length; i++) {
                if (keys[i] != 0) {
                    out.writeLong(keys[i]);
                    out.writeLong(values[i]);
                }
            }
        }

        /** Reads a table written by {@link #writeTo}; with {@code keep} false only skips it. */
        long readFrom(DataInput in, boolean keep) throws IOException {
            int n = in.readInt();
            if (n != STRIPES) {
                throw new IOException("session marks with " + n + " stripes (expected " + STRIPES + ")");
            }
            long read = 0;
            for (Stripe s : stripes) {
                for (int g = 0; g < 2; g++) {
                    long started = in.readLong();
                    int size = in.readInt();
                    if (size < 0 || size > 1 << 26) {
                        throw new IOException("session-mark generation of " + size + " entries");
                    }
                    long now = s.time.millis();
                    boolean live = keep && now - started < s.ttl;
                    for (int i = 0; i < size; i++) {
                        long h = in.readLong();
                        long v = in.readLong();
                        if (live && h != 0 && v != 0) {
                            synchronized (s) {
                                if (s.get(h) == 0) {
                                    s.put(h, v);
                                    read++;
                                }
                            }
                        }
                    }
                }
            }
            return read;
        }
    }

    /** Two generations of an open-addressed long-to-long map (linear probing, no deletion). Guarded by itself. */
    private static final class Stripe {
        private static final long[] NONE = new long[0];
        private final int perGeneration;
        private final long ttl;
        private final TimeSource time;
        private long[] keys = new long[16];
        private long[] values = new long[16];
        private int size;
        private long[] oldKeys = NONE;
        private long[] oldValues = NONE;
        private int oldSize;
        private long oldStarted;
        private long started;

        Stripe(int perGeneration, long ttl, TimeSource time) {
            this.perGeneration = perGeneration;
            this.ttl = ttl;
            this.time = time;
            this.started = time.millis();
        }

        /** Drops what is past the time-to-live: rotates after half of it, clears both after all of it. */
        void age() {
            long now = time.millis();
            if (now - started >= ttl) {
                dropOld();
                fresh(now);
            } else if (now - started >= ttl / 2) {
                rotate(now);
            }
            if (oldSize > 0 && now - oldStarted >= ttl) {
                dropOld();
            }
        }

        private void dropOld() {
            oldKeys = NONE;
            oldValues = NONE;
            oldSize = 0;
        }

        private void rotate(long now) {
            oldKeys = keys;
            oldValues = values;
            oldSize = size;
            oldStarted = started;
            fresh(now);
        }

        private void fresh(long now) {
            keys = new long[16];
            values = new long[16];
            size = 0;
            started = now;
        }

        long get(long h) {
            long v = find(keys, values, h);
            return v != 0 ? v : find(oldKeys, oldValues, h);
        }

        private static long find(long[] ks, long[] vs, long h) {
            if (ks.length == 0) {
                return 0;
            }
            int mask = ks.length - 1;
            int i = (int) h & mask;
            while (ks[i] != 0) {
                if (ks[i] == h) {
                    return vs[i];
                }
                i = (i + 1) & mask;
            }
            return 0;
        }

        void put(long h, long v) {
            int mask = keys.length - 1;
            int i = (int) h & mask;
            while (keys[i] != 0) {
                if (keys[i] == h) {
                    values[i] = v;
                    return;
                }
                i = (i + 1) & mask;
            }
            if (size >= perGeneration) {
                rotate(time.millis());
                put(h, v);
                return;
            }
            keys[i] = h;
            values[i] = v;
            size++;
            if (size * 2 > keys.length) {
                grow();
            }
        }

        private void grow() {
            long[] ks = keys;
            long[] vs = values;
            keys = new long[ks.length * 2];
            values = new long[ks.length * 2];
            int mask = keys.length - 1;
            for (int j = 0; j < ks.length; j++) {
                if (ks[j] != 0) {
                    int i = (int) ks[j] & mask;
                    while (keys[i] != 0) {
                        i = (i + 1) & mask;
                    }
                    keys[i] = ks[j];
                    values[i] = vs[j];
                }
            }
        }
    }
}
