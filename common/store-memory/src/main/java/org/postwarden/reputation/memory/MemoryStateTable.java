package org.postwarden.reputation.memory;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import org.postwarden.model.TimeSource;
import org.postwarden.reputation.StateKind;
import org.postwarden.reputation.StateTable;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * A {@link StateTable} in a bounded, expiring Caffeine cache on the store's ticker. A table of a
 * {@linkplain StateKind#journaled() journaled} kind hands every put, creation and removal to the store's journal
 * (the value encoded when it is put: later changes inside a mutable value reach disk with the next snapshot).
 * Thread-safe.
 */
final class MemoryStateTable<V> implements StateTable<V> {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(MemoryStateTable.class);
    private final StateKind<V> kind;
    private final Cache<String, V> cache;
    private final Durability durability;

    MemoryStateTable(StateKind<V> kind, TimeSource time, Durability durability) {
        this.kind = kind;
        this.durability = durability;
        this.cache = Caffeine.newBuilder()
                .executor(Runnable::run) // maintenance inline, as the store's own caches
                .maximumSize(kind.maxEntries())
                .expireAfterAccess(kind.idleExpiry())
                .ticker(time::nanos)
                .build();
    }

    StateKind<V> kind() {
        return kind;
    }

    @Override
    public V get(String key) {
        return cache.getIfPresent(key);
    }

    @Override
    public V getOrCreate(String key, Function<String, ? extends V> create) {
        if (!kind.journaled()) {
            return cache.get(key, create);
        }
        boolean[] created = {false};
        V v = cache.get(key, k -> {
            created[0] = true;
            return create.apply(k);
        });
        if (created[0] && v != null) {
            journalPut(key, v);
        }
        return v;
    }

    @Override
    public void put(String key, V value) {
        cache.put(key, value);
        if (kind.journaled()) {
            journalPut(key, value);
        }
    }

    @Override
    public V remove(String key) {
        V v = cache.asMap().remove(key);
        StoreJournal j = durability.journal;
        if (v != null && kind.journaled() && j != null) {
            j.remove(kind.name(), key);
        }
        return v;
    }

    private void journalPut(String key, V value) {
        StoreJournal j = durability.journal;
        if (j == null) {
            return;
        }
        try {
            j.put(kind.name(), kind.version(), key, encode(value));
        } catch (IOException | RuntimeException e) {
            LOG.error("state {}: cannot journal the entry {} ({}); it reaches disk with the next snapshot",
                    kind.name(), key, e.toString());
        }
    }

    /** Sets {@code key} from a journaled encoding (not journaled again); an encoding that fails is logged, dropped. */
    void replaceEncoded(String key, byte[] value, int version) {
        try {
            cache.put(key, decode(value, version));
        } catch (IOException | RuntimeException e) {
            LOG.warn("state {}: a journaled entry of encoding version {} could not be read and was dropped ({})",
                    kind.name(), version, e.toString());
        }
    }

    /** Removes {@code key} without journaling it (a journal replay). */
    void removeQuietly(String key) {
        cache.asMap().remove(key);
    }

    @Override
    public void forEach(BiConsumer<String, V> action) {
        cache.asMap().forEach(action);
    }

    @Override
    public long size() {
        return cache.estimatedSize();
    }

    void cleanUp() {
        cache.cleanUp();
    }

    /** The encoding of {@code value} with the kind's codec. */
    byte[] encode(V value) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream(64);
        DataOutputStream out = new DataOutputStream(buf);
        kind.codec().write(out, value);
        out.flush();
        return buf.toByteArray();
    }

    /** Decodes {@code bytes} written with encoding {@code version}; every byte must be used. */
    V decode(byte[] bytes, int version) throws IOException {
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes));
        V v = kind.codec().read(in, version);
        if (in.available() > 0) {
            throw new IOException(in.available() + " bytes left after a value");
        }
        return v;
    }

    /** Adds restored entries: replaces, or with {@code merge} keeps what the table already holds. */
    void restore(Map<String, V> entries, boolean merge) {
        if (merge) {
            entries.forEach((k, v) -> cache.asMap().putIfAbsent(k, v));
        } else {
            cache.putAll(entries);
        }
    }
}
