package org.postwarden.dnsbl;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import org.postwarden.model.TimeSource;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.function.Function;
import java.util.function.ToLongFunction;

/**
 * Completed values in a bounded Caffeine cache, each valid until the deadline it carries; computations in flight in
 * a map, so concurrent callers share one. A finished value is in the cache before any waiter resumes, so a caller
 * that saw the value complete finds it cached (Caffeine's own async cache sets the expiry in a completion callback
 * that may run after the waiter resumed). The in-flight map is bounded by what is in flight: every computation here
 * completes within the DNSBL query timeout.
 *
 * <p>Expiry is checked on read against the value's deadline; Caffeine only bounds the size and drops anything older
 * than {@code maxLifetime} (no value lives longer). Variable per-entry expiry in Caffeine costs about four plain
 * reads per read (timer wheel), and this read is on every decision's path.
 */
final class Memo<K, V> {
    private final Cache<K, V> done;
    private final ConcurrentHashMap<K, CompletableFuture<V>> pending = new ConcurrentHashMap<>();
    private final TimeSource time;
    private final ToLongFunction<V> deadlineNanos;

    Memo(long maxSize, Duration maxLifetime, TimeSource time, Executor executor, ToLongFunction<V> deadlineNanos) {
        this.time = time;
        this.deadlineNanos = deadlineNanos;
        this.done = Caffeine.newBuilder()
                .maximumSize(maxSize)
                .expireAfterWrite(maxLifetime)
                .ticker(time::nanos)
                .executor(executor)
                .build();
    }

    /** The finished value if still valid, or null. */
    V getDone(K key) {
        V v = done.getIfPresent(key);
        if (v != null && deadlineNanos.applyAsLong(v) - time.nanos() <= 0) {
            done.asMap().remove(key, v);
            return null;
        }
        return v;
    }

    /** The finished value or the computation in flight, or null. */
    CompletableFuture<V> getIfPresent(K key) {
        V v = getDone(key);
        if (v != null) {
            return CompletableFuture.completedFuture(v);
        }
        return pending.get(key);
    }

    /** The finished value, the computation in flight, or a new one from {@code start} (which must not throw). */
    CompletableFuture<V> get(K key, Function<K, CompletableFuture<V>> start) {
        CompletableFuture<V> f = getIfPresent(key);
        if (f != null) {
            return f;
        }
        CompletableFuture<V> mine = new CompletableFuture<>();
        f = pending.putIfAbsent(key, mine);
        if (f != null) {
            return f;
        }
        V v = getDone(key);
        if (v != null) {
            // Finished between our two looks: no second computation.
            pending.remove(key, mine);
            mine.complete(v);
            return mine;
        }
        start.apply(key).whenComplete((value, t) -> {
            if (value != null && deadlineNanos.applyAsLong(value) - time.nanos() > 0) {
                done.put(key, value);
            }
            pending.remove(key, mine);
            if (t != null) {
                mine.completeExceptionally(t);
            } else {
                mine.complete(value);
            }
        });
        return mine;
    }

    long size() {
        return done.estimatedSize();
    }
}
