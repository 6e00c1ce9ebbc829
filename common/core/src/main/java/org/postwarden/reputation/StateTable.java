package org.postwarden.reputation;

import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * The store's table of one {@link StateKind}: string keys to values, bounded and expiring as the kind says, persisted
 * with the store's snapshot. Thread-safe; reads and writes never block on I/O.
 *
 * @param <V> the value type
 */
public interface StateTable<V> {

    /** The value of {@code key}, or null (does not create). */
    V get(String key);

    /** The value of {@code key}, created with {@code create} when absent (atomically: one value per key). */
    V getOrCreate(String key, Function<String, ? extends V> create);

    /** Sets the value of {@code key}. */
    void put(String key, V value);

    /** Removes {@code key}; returns its value, or null. */
    V remove(String key);

    /** Every entry (weakly consistent; for admin queries and snapshots, never a hot path). */
    void forEach(BiConsumer<String, V> action);

    /** Keys held now (approximate). */
    long size();
}
