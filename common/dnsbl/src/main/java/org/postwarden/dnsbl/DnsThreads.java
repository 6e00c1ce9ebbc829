package org.postwarden.dnsbl;

import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The threads of one DNS client (the DNSBL client, greylisting's sender pools): two daemon threads that complete
 * answers, never an event loop, and one timer for query timeouts and time budgets. A task submitted after
 * {@link #close} runs on the caller (it only completes a stage that is already failing). Thread-safe.
 */
final class DnsThreads implements AutoCloseable {
    private final ThreadPoolExecutor pool;
    private final Executor executor;
    private final ScheduledThreadPoolExecutor timer;

    /** Threads named {@code NAME-1}, {@code NAME-2} and {@code NAME-timer}. */
    DnsThreads(String name) {
        AtomicInteger n = new AtomicInteger();
        this.pool = new ThreadPoolExecutor(2, 2, 0, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.executor = task -> {
            try {
                pool.execute(task);
            } catch (RejectedExecutionException e) {
                task.run();
            }
        };
        this.timer = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, name + "-timer");
            t.setDaemon(true);
            return t;
        });
        timer.setRemoveOnCancelPolicy(true);
    }

    Executor executor() {
        return executor;
    }

    ScheduledExecutorService timer() {
        return timer;
    }

    /** Stops the timer and the pool (tasks already queued still run). */
    @Override
    public void close() {
        timer.shutdown();
        pool.shutdown();
    }
}
