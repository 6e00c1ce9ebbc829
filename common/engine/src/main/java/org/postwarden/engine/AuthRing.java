package org.postwarden.engine;

import org.postwarden.reputation.StateCodec;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * A bounded set of distinct pairs {@code (a, b)} of 64-bit keys, each with when it was first and last seen, how
 * often, and a small tag: what the auth policy remembers per address (distinct user and password-hash pairs), per
 * user (addresses and passwords that failed) and per network (users that failed, and from which member). A pair
 * seen again is one entry (its count grows), so a device retrying one stale password stays one failure.
 *
 * <p>Entries last seen longer ago than the caller's memory are dropped on each {@link #hit}; at capacity the entry
 * seen longest ago makes room. Arrays grow from 4 entries up to the capacity, so a key that saw one failure costs
 * little. Thread-safe: guarded by itself.
 */
final class AuthRing {
    /** The largest capacity a ring may have (and a snapshot may claim). */
    static final int MAX_CAPACITY = 4096;

    private final int capacity;
    private long[] a = new long[4];
    private long[] b = new long[4];
    private long[] first = new long[4];
    private long[] last = new long[4];
    private int[] hits = new int[4];
    private byte[] tag = new byte[4];
    private int n;

    AuthRing(int capacity) {
        if (capacity < 1 || capacity > MAX_CAPACITY) {
            throw new IllegalArgumentException("capacity " + capacity + " (expected 1.." + MAX_CAPACITY + ")");
        }
        this.capacity = capacity;
    }

    /** What one entry holds, for {@link #forEach}. */
    interface Entry {
        void accept(long a, long b, long firstMillis, long lastMillis, int hits, byte tag);
    }

    /**
     * Counts one sighting of {@code (a, b)} at {@code now}, after forgetting entries last seen before
     * {@code forgetBefore}. Returns true when the pair is new (not seen since then).
     */
    synchronized boolean hit(long ka, long kb, byte t, long now, long forgetBefore) {
        expire(forgetBefore);
        for (int i = 0; i < n; i++) {
            if (a[i] == ka && b[i] == kb) {
                last[i] = Math.max(last[i], now);
                hits[i] = hits[i] == Integer.MAX_VALUE ? hits[i] : hits[i] + 1;
                tag[i] = t;
                return false;
            }
        }
        int i;
        if (n == capacity) {
            i = 0;
            for (int j = 1; j < n; j++) {
                if (last[j] < last[i]) {
                    i = j;
                }
            }
        } else {
            grow();
            i = n++;
        }
        a[i] = ka;
        b[i] = kb;
        first[i] = now;
        last[i] = now;
        hits[i] = 1;
        tag[i] = t;
        return true;
    }

    /** Distinct pairs last seen at or after {@code since}. */
    synchronized int distinct(long since) {
        int c = 0;
        for (int i = 0; i < n; i++) {
            if (last[i] >= since) {
                c++;
            }
        }
        return c;
    }

    /** Distinct first keys ({@code a}) among the pairs last seen at or after {@code since}. */
    synchronized int distinctA(long since) {
        Set<Long> s = new HashSet<>();
        for (int i = 0; i < n; i++) {
            if (last[i] >= since) {
                s.add(a[i]);
            }
        }
        return s.size();
    }

    /** Distinct second keys ({@code b}) among the pairs last seen at or after {@code since}. */
    synchronized int distinctB(long since) {
        Set<Long> s = new HashSet<>();
        for (int i = 0; i < n; i++) {
            if (last[i] >= since) {
                s.add(b[i]);
            }
        }
        return s.size();
    }

    /**
     * Distinct first keys among the pairs last seen at or after {@code since}, each second key adding at most
     * {@code capPerB} of them (the crowd rule: a network's users, each member adding a capped share), oldest first.
     */
    synchronized int distinctACapped(long since, int capPerB) {
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (x, y) -> Long.compare(first[x], first[y]));
        Set<Long> counted = new HashSet<>();
        Map<Long, Integer> per = new HashMap<>();
        for (int i : order) {
            if (last[i] < since || counted.contains(a[i])) {
                continue;
            }
            int have = per.getOrDefault(b[i], 0);
            if (have < capPerB) {
                per.put(b[i], have + 1);
                counted.add(a[i]);
            }
        }
        return counted.size();
    }

    /** How often {@code (a, b)} was seen since it was first seen (0 when unknown or last seen before {@code since}). */
    synchronized int hits(long ka, long kb, long since) {
        for (int i = 0; i < n; i++) {
            if (a[i] == ka && b[i] == kb && last[i] >= since) {
                return hits[i];
            }
        }
        return 0;
    }

    /** Every entry last seen at or after {@code since}, in no particular order. */
    synchronized void forEach(long since, Entry e) {
        for (int i = 0; i < n; i++) {
            if (last[i] >= since) {
                e.accept(a[i], b[i], first[i], last[i], hits[i], tag[i]);
            }
        }
    }

    synchronized int size() {
        return n;
    }

    private void expire(long before) {
        int w = 0;
        for (int i = 0; i < n; i++) {
            if (last[i] >= before) {
                if (w != i) {
                    a[w] = a[i];
                    b[w] = b[i];
                    first[w] = first[i];
                    last[w] = last[i];
                    hits[w] = hits[i];
                    tag[w] = tag[i];
                }
                w++;
            }
        }
        n = w;
    }

    private void grow() {
        if (n < a.length) {
            return;
        }
        int len = Math.min(capacity, a.length * 2);
        a = Arrays.copyOf(a, len);
        b = Arrays.copyOf(b, len);
        first = Arrays.copyOf(first, len);
        last = Arrays.copyOf(last, len);
        hits = Arrays.copyOf(hits, len);
        tag = Arrays.copyOf(tag, len);
    }

    /** A 64-bit FNV-1a hash of {@code s}'s UTF-8 bytes: user names and password hashes as ring keys. */
    static long hash(String s) {
        long h = 0xcbf29ce484222325L;
        for (byte x : s.getBytes(StandardCharsets.UTF_8)) {
            h ^= x & 0xff;
            h *= 0x100000001b3L;
        }
        return h;
    }

    /** Persists a ring: its capacity, then each entry. */
    static final class Codec implements StateCodec<AuthRing> {
        @Override
        public void write(DataOutput out, AuthRing r) throws IOException {
            synchronized (r) {
                out.writeShort(r.capacity);
                out.writeShort(r.n);
                for (int i = 0; i < r.n; i++) {
                    out.writeLong(r.a[i]);
                    out.writeLong(r.b[i]);
                    out.writeLong(r.first[i]);
                    out.writeLong(r.last[i]);
                    out.writeInt(r.hits[i]);
                    out.writeByte(r.tag[i]);
                }
            }
        }

        @Override
        public AuthRing read(DataInput in, int version) throws IOException {
            int cap = in.readUnsignedShort();
            int n = in.readUnsignedShort();
            if (cap < 1 || cap > MAX_CAPACITY || n > cap) {
                throw new IOException("auth ring of capacity " + cap + " with " + n + " entries (expected 1.."
                        + MAX_CAPACITY + ", entries at most the capacity)");
            }
            AuthRing r = new AuthRing(cap);
            for (int i = 0; i < n; i++) {
                r.grow();
                r.a[i] = in.readLong();
                r.b[i] = in.readLong();
                r.first[i] = in.readLong();
                r.last[i] = in.readLong();
                r.hits[i] = Math.max(1, in.readInt());
                r.tag[i] = in.readByte();
                r.n = i + 1;
            }
            return r;
        }
    }
}
