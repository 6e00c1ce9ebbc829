package org.postwarden.reputation.memory;

import org.postwarden.model.ClientKey;
import org.postwarden.model.KeyLevel;
import org.postwarden.reputation.Ban;
import org.postwarden.reputation.CounterLayout;
import org.postwarden.reputation.CounterType;
import org.postwarden.reputation.StateKind;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.CheckedInputStream;
import java.util.zip.CheckedOutputStream;

/**
 * Binary snapshot of a {@link MemoryReputationStore}: counters (with the window layout they were kept in), scores,
 * bans and ban history, session marks and every state table ({@link StateKind}: user scores, network contributors,
 * outbound profiles...), with its format version in the magic (this code reads formats 1 and 2), closed by a CRC-32
 * so a torn or corrupt file is detected instead of half-restored. Counters are mapped by (type, window) on restore,
 * so a snapshot survives limit changes in the configuration.
 *
 * <p>Not thread-safe with itself; safe to run while the store is in use (entries changed during the write may or
 * may not be included). Hard limits on every length read protect against corrupt input.
 */
public final class StoreSnapshot {
    /** Format 1: counters, scores, bans, offenses (up to 0.1 before the layer modules). */
    private static final byte[] MAGIC_V1 = "PWSNAP01".getBytes(StandardCharsets.US_ASCII);
    /** Format 2: format 1, then the session marks and every state table ({@link StateKind}). */
    private static final byte[] MAGIC = "PWSNAP02".getBytes(StandardCharsets.US_ASCII);
    /** The format this code writes; it reads this one and every earlier one. */
    public static final int FORMAT_VERSION = 2;
    private static final int MAX_SLOTS = 64;
    private static final int MAX_STRING = 1024;
    private static final KeyLevel[] LEVELS = KeyLevel.values();

    /**
     * What a snapshot held.
     *
     * @param clients         client keys
     * @param users           user keys
     * @param bans            active bans
     * @param writtenAtMillis when it was written
     * @param marks           session marks and tallies (0 in a format-1 snapshot)
     * @param states          entries of state tables, all kinds together (0 in a format-1 snapshot)
     * @param format          the format version it was written in
     */
    public record Counts(long clients, long users, long bans, long writtenAtMillis, long marks, long states,
            int format) {
    }

    private StoreSnapshot() {
    }

    /** Writes the store's live state to {@code out} (not closed). */
    public static Counts write(MemoryReputationStore store, OutputStream out) throws IOException {
        CheckedOutputStream checked = new CheckedOutputStream(out, new CRC32());
        DataOutputStream d = new DataOutputStream(checked);
        long now = store.time().millis();
        double hl = store.halfLifeMillis();
        d.write(MAGIC);
        d.writeLong(now);
        for (KeyLevel level : LEVELS) {
            writeLayout(d, store.settings().layout(level));
        }
        writeLayout(d, store.settings().userLayout());
        long clients = 0;
        for (Map.Entry<ClientKey, KeyState> e : store.clientMap().entrySet()) {
            KeyState s = e.getValue();
            if (s.idle(store.settings().layout(e.getKey().level()), now, hl)) {
                continue;
            }
            d.writeByte(1);
            writeKey(d, e.getKey());
            writeState(d, s);
            clients++;
        }
        d.writeByte(0);
        long users = 0;
        for (Map.Entry<String, KeyState> e : store.userMap().entrySet()) {
            if (e.getValue().idle(store.settings().userLayout(), now, hl)) {
                continue;
            }
            d.writeByte(1);
            writeString(d, e.getKey());
            writeState(d, e.getValue());
            users++;
        }
        d.writeByte(0);
        long bans = 0;
        for (Ban b : store.banMap().values()) {
            if (!b.activeAt(now)) {
                continue;
            }
            d.writeByte(1);
            writeKey(d, b.key());
            d.writeLong(b.sinceMillis());
            d.writeLong(b.untilMillis());
            writeString(d, b.reason());
            writeString(d, b.detail());
            d.writeInt(b.offense());
            bans++;
        }
        d.writeByte(0);
        for (Map.Entry<ClientKey, Integer> e : store.offenseMap().entrySet()) {
            d.writeByte(1);
            writeKey(d, e.getKey());
            d.writeInt(e.getValue());
        }
        d.writeByte(0);
        long marks = store.memoryMarks().size();
        store.memoryMarks().writeTo(d);
        long states = store.stateTables().write(d);
        d.flush();
        long crc = checked.getChecksum().getValue();
        d.writeLong(crc);
        d.flush();
        return new Counts(clients, users, bans, now, marks, states, FORMAT_VERSION);
    }

    /**
     * Restores {@code in} into {@code store}. Throws {@link IOException} (and restores nothing that is visible to
     * lookups only partially: callers should discard the store on failure) when the data is not a valid snapshot.
     */
    public static Counts read(MemoryReputationStore store, InputStream in) throws IOException {
        return read(store, in, false);
    }

    /**
     * Like {@link #read(ReputationStore, InputStream)}; with {@code merge}, state already in {@code store} is kept
     * and the snapshot's is added to it (counters and scores summed, existing bans kept, offense counts maxed),
     * which is how a reload moves state into a new store that has already started counting.
     */
    public static Counts read(MemoryReputationStore store, InputStream in, boolean merge) throws IOException {
        CheckedInputStream checked = new CheckedInputStream(in, new CRC32());
        DataInputStream d = new DataInputStream(checked);
        byte[] magic = new byte[MAGIC.length];
        d.readFully(magic);
        int format = Arrays.equals(magic, MAGIC) ? 2 : Arrays.equals(magic, MAGIC_V1) ? 1 : 0;
        if (format == 0) {
            throw new IOException("not a Postwarden snapshot (bad magic)");
        }
        long writtenAt = d.readLong();
        int[][] clientMaps = new int[LEVELS.length][];
        for (KeyLevel level : LEVELS) {
            clientMaps[level.ordinal()] = readLayoutMapping(d, store.settings().layout(level));
        }
        int[] userMap = readLayoutMapping(d, store.settings().userLayout());
        // Read everything first; apply only when the checksum matches.
        java.util.List<Runnable> apply = new java.util.ArrayList<>();
        long clients = 0;
        while (d.readByte() == 1) {
            ClientKey key = readKey(d);
            KeyState s = readState(d, clientMaps[key.level().ordinal()],
                    store.settings().layout(key.level()).size());
            CounterLayout layout = store.settings().layout(key.level());
            apply.add(() -> put(store, store.clientMap(), key, s, layout, merge));
            clients++;
        }
        long users = 0;
        while (d.readByte() == 1) {
            String user = readString(d);
            KeyState s = readState(d, userMap, store.settings().userLayout().size());
            apply.add(() -> put(store, store.userMap(), user, s, store.settings().userLayout(), merge));
            users++;
        }
        long bans = 0;
        while (d.readByte() == 1) {
            ClientKey key = readKey(d);
            Ban b = new Ban(key, d.readLong(), d.readLong(), readString(d), readString(d), d.readInt());
            apply.add(() -> {
                if (merge) {
                    store.banMap().putIfAbsent(key, b);
                } else {
                    store.banMap().put(key, b);
                }
            });
            bans++;
        }
        while (d.readByte() == 1) {
            ClientKey key = readKey(d);
            int n = d.readInt();
            apply.add(() -> store.offenseMap().merge(key, n, Math::max));
        }
        long marks = 0;
        long states = 0;
        List<Runnable> tables = new ArrayList<>();
        if (format >= 2) {
            // marks go straight into a scratch instance, then are copied when the checksum matches
            MemorySessionMarks scratch = new MemorySessionMarks(store.memoryMarks().capacity(),
                    store.memoryMarks().ttl(), store.time());
            marks = scratch.readFrom(d);
            if (marks > 0) {
                apply.add(() -> store.memoryMarks().absorb(scratch));
            }
            states = store.stateTables().read(d, merge, tables);
        }
        long expected = checked.getChecksum().getValue();
        long stored;
        try {
            stored = d.readLong();
        } catch (EOFException e) {
            throw new IOException("snapshot truncated (no checksum)", e);
        }
        if (stored != expected) {
            throw new IOException("snapshot checksum mismatch (corrupt or torn file)");
        }
        apply.forEach(Runnable::run);
        tables.forEach(Runnable::run);
        return new Counts(clients, users, bans, writtenAt, marks, states, format);
    }

    private static <K> void put(MemoryReputationStore store, Map<K, KeyState> map, K key, KeyState incoming,
            CounterLayout layout, boolean merge) {
        if (!merge) {
            map.put(key, incoming);
            return;
        }
        long now = store.time().millis();
        map.merge(key, incoming, (existing, in) -> {
            existing.absorb(in, layout, now, store.halfLifeMillis());
            return existing;
        });
    }

    private static void writeLayout(DataOutputStream d, CounterLayout layout) throws IOException {
        d.writeByte(layout.size());
        for (CounterLayout.Slot s : layout.slots()) {
            d.writeByte(s.type().ordinal());
            d.writeLong(s.windowSeconds());
        }
    }

    /** Reads a stored layout and returns, for each stored slot, the current slot index (or -1). */
    private static int[] readLayoutMapping(DataInputStream d, CounterLayout current) throws IOException {
        int n = d.readUnsignedByte();
        if (n > MAX_SLOTS) {
            throw new IOException("snapshot layout has " + n + " slots (max " + MAX_SLOTS + ")");
        }
        int[] map = new int[n];
        for (int i = 0; i < n; i++) {
            int type = d.readUnsignedByte();
            long window = d.readLong();
            if (type >= CounterType.values().length) {
                throw new IOException("snapshot has unknown counter type " + type);
            }
            map[i] = current.indexOf(CounterType.values()[type], window);
        }
        return map;
    }

    static void writeKey(DataOutputStream d, ClientKey k) throws IOException {
        d.writeByte(k.level().ordinal());
        d.writeBoolean(k.v6());
        d.writeByte(k.prefix());
        d.writeLong(k.hi());
        d.writeLong(k.lo());
    }

    static ClientKey readKey(java.io.DataInput d) throws IOException {
        int level = d.readUnsignedByte();
        if (level >= LEVELS.length) {
            throw new IOException("snapshot has unknown key level " + level);
        }
        boolean v6 = d.readBoolean();
        int prefix = d.readUnsignedByte();
        long hi = d.readLong();
        long lo = d.readLong();
        try {
            return new ClientKey(LEVELS[level], v6, prefix, hi, lo);
        } catch (IllegalArgumentException e) {
            throw new IOException("snapshot has a bad key: " + e.getMessage(), e);
        }
    }

    private static void writeState(DataOutputStream d, KeyState s) throws IOException {
        synchronized (s) {
            d.writeLong(s.lastMillis);
            d.writeFloat(s.score);
            d.writeLong(s.scoreMillis);
            d.writeByte(s.counts.length);
            for (int c : s.counts) {
                d.writeInt(c);
            }
        }
    }

    private static KeyState readState(DataInputStream d, int[] mapping, int currentSlots) throws IOException {
        long last = d.readLong();
        float score = d.readFloat();
        long scoreMillis = d.readLong();
        int n = d.readUnsignedByte();
        if (n != 2 * mapping.length) {
            throw new IOException("snapshot entry has " + n + " counters, layout says " + 2 * mapping.length);
        }
        KeyState s = new KeyState(currentSlots, last);
        for (int j = 0; j < mapping.length; j++) {
            int cur = d.readInt();
            int prev = d.readInt();
            if (mapping[j] >= 0) {
                s.counts[2 * mapping[j]] = cur;
                s.counts[2 * mapping[j] + 1] = prev;
            }
        }
        s.score = Float.isFinite(score) ? score : 0f;
        s.scoreMillis = scoreMillis;
        return s;
    }

    static void writeString(DataOutputStream d, String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        if (b.length > MAX_STRING) {
            b = Arrays.copyOf(b, MAX_STRING);
        }
        d.writeShort(b.length);
        d.write(b);
    }

    static String readString(DataInputStream d) throws IOException {
        int n = d.readUnsignedShort();
        if (n > MAX_STRING) {
            throw new IOException("snapshot string of " + n + " bytes (max " + MAX_STRING + ")");
        }
        byte[] b = new byte[n];
        d.readFully(b);
        return new String(b, StandardCharsets.UTF_8);
    }
}
