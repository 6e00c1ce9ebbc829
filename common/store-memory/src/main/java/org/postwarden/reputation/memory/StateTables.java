package org.postwarden.reputation.memory;

import org.postwarden.model.Addresses;
import org.postwarden.model.TimeSource;
import org.postwarden.reputation.StateKind;
import org.postwarden.reputation.StateTable;
import org.slf4j.LoggerFactory;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The store's state tables, one per {@link StateKind} name, and their section of the snapshot. Entries restored before
 * their kind is registered (a part that is off in this run, or not asked yet) are kept encoded: decoded when the kind
 * registers, written back as they are by the next snapshot. Thread-safe.
 */
final class StateTables {
    private static final int MAX_VALUE_BYTES = 1 << 20;
    private static final int MAX_TABLES = 256;
    private final TimeSource time;
    private final Durability durability;
    private final Map<String, MemoryStateTable<?>> tables = new ConcurrentHashMap<>();
    /** Table state restored before its kind was registered: name to (encoding version, key to encoded value). */
    private final Map<String, Restored> restored;
    /** Names of the tables taken over from a predecessor (a table whose kind changed is rebuilt once). */
    private final java.util.Set<String> inherited = ConcurrentHashMap.newKeySet();

    /** Encoded entries of one table from a snapshot, kept until the table's kind is known. */
    record Restored(int version, Map<String, byte[]> entries, boolean merge) {
    }

    StateTables(TimeSource time, Durability durability) {
        this.time = time;
        this.durability = durability;
        this.restored = new ConcurrentHashMap<>();
    }

    private StateTables(StateTables predecessor) {
        this.time = predecessor.time;
        this.durability = predecessor.durability;
        this.restored = predecessor.restored;
        this.tables.putAll(predecessor.tables);
        this.inherited.addAll(predecessor.tables.keySet());
    }

    /**
     * Tables for a successor store: the same table objects (what either store writes, both see), except that a kind
     * asked for with other bounds gets a new table holding the old one's entries.
     */
    StateTables successor() {
        return new StateTables(this);
    }

    @SuppressWarnings("unchecked")
    <V> StateTable<V> table(StateKind<V> kind) {
        MemoryStateTable<?> t = tables.get(kind.name());
        if (t == null) {
            t = tables.computeIfAbsent(kind.name(), n -> register(kind));
        }
        if (!t.kind().equals(kind) && inherited.remove(kind.name())) {
            MemoryStateTable<?> old = t;
            t = tables.compute(kind.name(), (n, cur) -> cur != old ? cur : rebuilt(kind, old));
        }
        if (!t.kind().equals(kind)) {
            throw new IllegalArgumentException("state kind " + kind.name() + ": registered as " + t.kind()
                    + ", asked for as " + kind);
        }
        return (StateTable<V>) t;
    }

    @SuppressWarnings("unchecked")
    private <V> MemoryStateTable<V> rebuilt(StateKind<V> kind, MemoryStateTable<?> old) {
        MemoryStateTable<V> t = new MemoryStateTable<>(kind, time, durability);
        old.forEach((k, v) -> t.restore(Map.of(k, (V) v), true));
        return t;
    }

    /** Takes one journaled entry: into its table when registered, else kept encoded until it is. */
    void restoreOne(String name, int version, String key, byte[] value) {
        MemoryStateTable<?> t = tables.get(name);
        if (t != null) {
            t.replaceEncoded(key, value, version);
            return;
        }
        restored.compute(name, (n, r) -> {
            Map<String, byte[]> m = r == null ? new HashMap<>() : new HashMap<>(r.entries());
            m.put(key, value);
            return new Restored(r == null ? version : r.version(), m, r == null || r.merge());
        });
    }

    /** Removes one journaled entry, registered or still encoded. */
    void removeOne(String name, String key) {
        MemoryStateTable<?> t = tables.get(name);
        if (t != null) {
            t.removeQuietly(key);
        }
        restored.computeIfPresent(name, (n, r) -> {
            Map<String, byte[]> m = new HashMap<>(r.entries());
            m.remove(key);
            return new Restored(r.version(), m, r.merge());
        });
    }

    private <V> MemoryStateTable<V> register(StateKind<V> kind) {
        MemoryStateTable<V> t = new MemoryStateTable<>(kind, time, durability);
        Restored r = restored.remove(kind.name());
        if (r != null) {
            t.restore(decode(t, r), r.merge());
        }
        return t;
    }

    /** The restored entries that decode with the kind's codec (an entry that does not is dropped, with a log line). */
    private static <V> Map<String, V> decode(MemoryStateTable<V> t, Restored r) {
        Map<String, V> out = new HashMap<>();
        int bad = 0;
        for (Map.Entry<String, byte[]> e : r.entries().entrySet()) {
            try {
                out.put(e.getKey(), t.decode(e.getValue(), r.version()));
            } catch (IOException | RuntimeException ex) {
                bad++;
            }
        }
        if (bad > 0) {
            LoggerFactory.getLogger(MemoryReputationStore.class).warn(
                    "state {}: {} restored entries of encoding version {} could not be read and were dropped",
                    t.kind().name(), bad, r.version());
        }
        return out;
    }

    /** Takes restored entries of table {@code name}: decoded now when its kind is registered, else kept. */
    private <V> void restore(String name, int version, Map<String, byte[]> entries, boolean merge) {
        @SuppressWarnings("unchecked")
        MemoryStateTable<V> t = (MemoryStateTable<V>) tables.get(name);
        Restored r = new Restored(version, entries, merge);
        if (t != null) {
            t.restore(decode(t, r), merge);
        } else if (merge) {
            restored.merge(name, r, (old, in) -> {
                Map<String, byte[]> m = new HashMap<>(in.entries());
                m.putAll(old.entries());
                return new Restored(old.version(), m, true);
            });
        } else {
            restored.put(name, r);
        }
    }

    void cleanUp() {
        tables.values().forEach(MemoryStateTable::cleanUp);
    }

    Collection<MemoryStateTable<?>> registered() {
        return tables.values();
    }

    /**
     * Writes every registered table's entries, encoded by its codec, then the restored tables not registered yet as
     * they are; returns the entries written.
     */
    long write(DataOutputStream d) throws IOException {
        long n = 0;
        List<String> written = new ArrayList<>();
        for (MemoryStateTable<?> t : tables.values()) {
            n += writeTable(d, t);
            written.add(t.kind().name());
        }
        for (Map.Entry<String, Restored> e : restored.entrySet()) {
            if (written.contains(e.getKey())) {
                continue;
            }
            d.writeByte(1);
            StoreSnapshot.writeString(d, e.getKey());
            d.writeInt(e.getValue().version());
            for (Map.Entry<String, byte[]> v : e.getValue().entries().entrySet()) {
                writeEntry(d, v.getKey(), v.getValue());
                n++;
            }
            d.writeByte(0);
        }
        d.writeByte(0);
        return n;
    }

    private static <V> long writeTable(DataOutputStream d, MemoryStateTable<V> t) throws IOException {
        d.writeByte(1);
        StoreSnapshot.writeString(d, t.kind().name());
        d.writeInt(t.kind().version());
        long[] n = {0};
        IOException[] failed = {null};
        t.forEach((k, v) -> {
            if (failed[0] != null) {
                return;
            }
            try {
                writeEntry(d, k, t.encode(v));
                n[0]++;
            } catch (IOException e) {
                failed[0] = e;
            }
        });
        if (failed[0] != null) {
            throw failed[0];
        }
        d.writeByte(0);
        return n[0];
    }

    private static void writeEntry(DataOutputStream d, String key, byte[] value) throws IOException {
        if (value.length > MAX_VALUE_BYTES) {
            return; // never written, so never read back: a value this large is a bug, not state worth a restart
        }
        d.writeByte(1);
        StoreSnapshot.writeString(d, key);
        d.writeInt(value.length);
        d.write(value);
    }

    long read(DataInputStream d, boolean merge, List<Runnable> apply) throws IOException {
        long n = 0;
        int tables = 0;
        while (d.readByte() == 1) {
            if (++tables > MAX_TABLES) {
                throw new IOException("snapshot has more than " + MAX_TABLES + " state tables");
            }
            String name = StoreSnapshot.readString(d);
            int version = d.readInt();
            Map<String, byte[]> entries = new java.util.HashMap<>();
            while (d.readByte() == 1) {
                // keys written before addresses were printed canonically (RFC 5952) are read in that form
                String key = Addresses.canonicalText(StoreSnapshot.readString(d));
                int len = d.readInt();
                if (len < 0 || len > MAX_VALUE_BYTES) {
                    throw new IOException("state " + name + ": a value of " + len + " bytes (max "
                            + MAX_VALUE_BYTES + ")");
                }
                byte[] v = new byte[len];
                d.readFully(v);
                entries.put(key, v);
                n++;
            }
            apply.add(() -> restore(name, version, entries, merge));
        }
        return n;
    }
}
