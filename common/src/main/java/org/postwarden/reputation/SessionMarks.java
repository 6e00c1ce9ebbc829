package org.postwarden.reputation;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import org.postwarden.model.TimeSource;

import java.time.Duration;

/**
 * Short-lived "already counted" marks, so each thing is counted once although several requests (or several
 * listeners) report it: a connection (client address and port), a message ({@code instance} or queue id), a HELO
 * evaluation. Bounded and expiring; a mark that is evicted early only risks counting twice.
 */
public final class SessionMarks {
    private final Cache<String, Boolean> marks;

    public SessionMarks(long maxEntries, Duration ttl, TimeSource time) {
        this.marks = Caffeine.newBuilder()
                .maximumSize(maxEntries)
                .expireAfterWrite(ttl)
                .ticker(time::nanos)
                .build();
    }

    /** Marks {@code key}; returns true only for the first caller. */
    public boolean first(String key) {
        return marks.asMap().putIfAbsent(key, Boolean.TRUE) == null;
    }

    /** Whether {@code key} is marked. */
    public boolean marked(String key) {
        return marks.getIfPresent(key) != null;
    }

    public long size() {
        return marks.estimatedSize();
    }
}
