package org.postwarden.runtime;

import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;

/** A network listener (policy, milter, HTTP, syslog...). */
public interface Listener {

    /** Bounded name for logs and metrics, e.g. "policy". */
    String name();

    /** Binds and starts serving; throws when the address cannot be bound. */
    void start() throws Exception;

    /** Stops accepting, lets in-flight work finish for up to {@code grace}, then closes. */
    void stop(Duration grace);

    /** Human-readable bound address, for logs. */
    String address();

    /**
     * Shuts down {@code executor}, a listener's own threads: lets running tasks finish for up to {@code grace}, then
     * interrupts them. Interrupted while waiting, it interrupts them at once and keeps the interrupt status.
     */
    static void shutdown(ExecutorService executor, Duration grace) {
        executor.shutdown();
        try {
            if (!executor.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                executor.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            executor.shutdownNow();
        }
    }
}
