package org.postwarden.model;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/** A time source that only moves when told to: for tests and benchmarks. Thread-safe. */
public final class ManualTimeSource implements TimeSource {
    private final AtomicLong now;

    public ManualTimeSource(long startMillis) {
        this.now = new AtomicLong(startMillis);
    }

    @Override
    public long millis() {
        return now.get();
    }

    public void advance(Duration d) {
        now.addAndGet(d.toMillis());
    }

    public void set(long millis) {
        now.set(millis);
    }
}
