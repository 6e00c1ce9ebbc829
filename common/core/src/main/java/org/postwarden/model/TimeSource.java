package org.postwarden.model;

/**
 * Wall-clock time in milliseconds since the epoch, injected everywhere time matters so tests never sleep.
 * Wall-clock (not monotonic) because counters and bans are persisted across restarts.
 */
@FunctionalInterface
public interface TimeSource {
    TimeSource SYSTEM = System::currentTimeMillis;

    long millis();

    /** Caffeine's ticker wants nanoseconds; derived from {@link #millis()}. */
    default long nanos() {
        return millis() * 1_000_000L;
    }
}
