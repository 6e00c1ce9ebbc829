package org.postwarden.reputation.memory;

import org.postwarden.model.TimeSource;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.time.Duration;

/**
 * The table behind {@link MemorySessionMarks}: 64-bit hashes to non-zero values, in {@value #STRIPES} stripes with a
 * lock each, two generations per stripe (see MemorySessionMarks for the lifetime rules), and its snapshot form.
 * Values are never 0 (0 means absent).
 */
final class MarkTable {
    static final int STRIPE_BITS = 6;
    static final int STRIPES = 1 << STRIPE_BITS;

    private final Stripe[] stripes = new Stripe[STRIPES];

    MarkTable(long maxEntries, Duration ttl, TimeSource time) {
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

    void absorb(MarkTable other) {
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
