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

/** A {@link StateTable} in a bounded, expiring Caffeine cache on the store's ticker. Thread-safe. */
final class MemoryStateTable<V> implements StateTable<V> {
    private final StateKind<V> kind;
    private final Cache<String, V> cache;

    MemoryStateTable(StateKind<V> kind, TimeSource time) {
        this.kind = kind;
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
        return cache.get(key, create);
    }

    @Override
    public void put(String key, V value) {
        cache.put(key, value);
    }

    @Override
    public V remove(String key) {
        return cache.asMap().remove(key);
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
