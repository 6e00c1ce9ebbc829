package org.postwarden.outbound.alert;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.postwarden.config.PostwardenConfig;
import org.postwarden.outbound.Alert;
import org.postwarden.outbound.alert.Delivery.Outcome;
import org.postwarden.text.LogSafe;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The bounded queue of one delivery channel: at most {@value #MAX_PENDING} alerts wait for delivery (more are
 * dropped), each is tried on the executor, and a failed attempt is tried again after a delay that doubles each
 * time (capped at an hour) while the {@link Delivery} has attempts left. Results are counted in
 * {@code postwarden_alert_deliveries_total{channel,result}}.
 *
 * <p>Thread-safe; {@link #submit} never blocks. Nothing sleeps: retries are scheduled on the executor. Retries
 * pending at {@link #close()} are abandoned, not persisted.
 */
final class RetryQueue {
    private static final Logger LOG = LoggerFactory.getLogger(Alerter.LOGGER);
    /** Alerts waiting for delivery on one channel, at most; more are dropped. */
    static final int MAX_PENDING = 100;
    private static final long MAX_RETRY_DELAY_MILLIS = Duration.ofHours(1).toMillis();

    /** Results (metric label {@code result}; "off" and "abandoned" are never counted). */
    static final String OK = "ok";
    static final String RETRY = "retry";
    static final String FAILED = "failed";
    static final String DROPPED = "dropped";
    static final String ABANDONED = "abandoned";
    static final String OFF = "off";

    private final ChannelSink sink;
    private final String channel;
    private final ScheduledExecutorService executor;
    private final MeterRegistry registry;
    private final AtomicInteger pending = new AtomicInteger();
    /** Scheduled retries; whoever removes one (its task, or close) owns it. */
    private final Set<Retry> retries = ConcurrentHashMap.newKeySet();
    private final Map<String, Counter> deliveries = new ConcurrentHashMap<>();
    private volatile boolean closed;

    /** {@code channel}: the channel's name, metric label {@code channel} and its word in log lines. */
    RetryQueue(String channel, ChannelSink sink, ScheduledExecutorService executor, MeterRegistry registry) {
        this.sink = sink;
        this.channel = channel;
        this.executor = executor;
        this.registry = registry;
    }

    /**
     * Queues {@code alert} for delivery under {@code settings}; the result completes with ok, failed, dropped,
     * abandoned or off (the channel is not configured).
     */
    CompletableFuture<String> submit(Alert alert, String kind, PostwardenConfig.Alerts settings) {
        Delivery delivery = sink.delivery(alert, kind, settings);
        if (delivery == null) {
            return CompletableFuture.completedFuture(OFF);
        }
        Job job = new Job(kind, delivery);
        if (job.admit() && !execute(job, () -> attempt(job, 1))) {
            job.finish(ABANDONED);
        }
        return job.done;
    }

    /** Stops retrying: pending retries are abandoned (logged), and attempts not yet started are not made. */
    void close() {
        closed = true;
        int abandoned = 0;
        for (Retry r : retries) {
            if (retries.remove(r)) {
                ScheduledFuture<?> f = r.future;
                if (f != null) {
                    f.cancel(false);
                }
                r.job.finish(ABANDONED);
                abandoned++;
            }
        }
        if (abandoned > 0) {
            LOG.warn("alerter closed: {} pending {} retries abandoned", abandoned, channel);
        }
    }

    private void attempt(Job job, int n) {
        if (closed) {
            job.finish(ABANDONED);
            return;
        }
        job.delivery.attempt(n).whenComplete((outcome, error) -> {
            Runnable next = () -> {
                if (outcome == null) {
                    throw new IllegalStateException("attempt " + n + " ended without an outcome", error);
                }
                attempted(job, n, outcome);
            };
            if (!execute(job, next)) {
                run(job, next);
            }
        });
    }

    private void attempted(Job job, int n, Outcome outcome) {
        switch (outcome.status()) {
            case OK -> {
                job.count(OK);
                job.finish(OK);
            }
            case FAILED -> {
                job.count(FAILED);
                job.finish(FAILED);
            }
            case RETRY -> retryOrFail(job, n, outcome.why());
        }
    }

    private void retryOrFail(Job job, int n, String why) {
        String kind = LogSafe.escape(job.kind, 40);
        if (closed) {
            LOG.warn("alert {} for {} abandoned at close after attempt {}: {}", channel, kind, n, why);
            job.finish(ABANDONED);
            return;
        }
        int attempts = job.delivery.attempts();
        if (n >= attempts) {
            LOG.warn("alert {} for {} failed after {} attempt(s): {}", channel, kind, n, why);
            job.count(FAILED);
            job.finish(FAILED);
            return;
        }
        long delay = delayMillis(job.delivery.retryDelay(), n);
        job.count(RETRY);
        LOG.info("alert {} for {}: attempt {}/{} failed ({}); next in {} ms", channel, kind, n, attempts, why,
                delay);
        Retry r = new Retry(job);
        retries.add(r);
        try {
            r.future = executor.schedule(() -> {
                if (retries.remove(r)) {
                    run(job, () -> attempt(job, n + 1));
                }
            }, delay, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            if (retries.remove(r)) {
                LOG.warn("alert {} for {} abandoned: executor stopped", channel, kind);
                job.finish(ABANDONED);
            }
            return;
        }
        if (closed && retries.remove(r)) {
            // close() ran while this retry was being scheduled and did not see it
            r.future.cancel(false);
            LOG.warn("alert {} for {} abandoned at close", channel, kind);
            job.finish(ABANDONED);
        }
    }

    /** The wait after the {@code failed}-th failed attempt: {@code base}, doubled for each further one, capped. */
    static long delayMillis(Duration base, int failed) {
        long d = Math.min(base.toMillis(), MAX_RETRY_DELAY_MILLIS);
        for (int i = 1; i < failed && d < MAX_RETRY_DELAY_MILLIS; i++) {
            d = Math.min(d * 2, MAX_RETRY_DELAY_MILLIS);
        }
        return d;
    }

    /** Runs {@code task} on the executor (false: rejected); a task that throws fails its job. */
    private boolean execute(Job job, Runnable task) {
        try {
            executor.execute(() -> run(job, task));
            return true;
        } catch (RejectedExecutionException e) {
            return false;
        }
    }

    private void run(Job job, Runnable task) {
        try {
            task.run();
        } catch (RuntimeException e) {
            LOG.error("alert {} delivery by {} failed", LogSafe.escape(job.kind, 40), channel, e);
            if (!job.finished.get()) {
                job.count(FAILED);
                job.finish(FAILED);
            }
        }
    }

    private static final class Retry {
        final Job job;
        volatile ScheduledFuture<?> future;

        Retry(Job job) {
            this.job = job;
        }
    }

    /** One alert on this channel: holds a pending slot until it is finished, exactly once. */
    private final class Job {
        final String kind;
        final Delivery delivery;
        final CompletableFuture<String> done = new CompletableFuture<>();
        final AtomicBoolean finished = new AtomicBoolean();

        Job(String kind, Delivery delivery) {
            this.kind = kind;
            this.delivery = delivery;
        }

        /** Takes a pending slot, or counts and logs the drop. */
        boolean admit() {
            if (pending.incrementAndGet() > MAX_PENDING) {
                pending.decrementAndGet();
                finished.set(true);
                count(DROPPED);
                LOG.warn("alert {} not sent by {}: {} alerts already pending", LogSafe.escape(kind, 40), channel,
                        MAX_PENDING);
                done.complete(DROPPED);
                return false;
            }
            return true;
        }

        void count(String result) {
            deliveries.computeIfAbsent(result, k -> Counter.builder("postwarden.alert.deliveries")
                    .description("Alert deliveries by channel (webhook, mail) and result")
                    .tags("channel", channel, "result", result).register(registry)).increment();
        }

        void finish(String result) {
            if (finished.compareAndSet(false, true)) {
                pending.decrementAndGet();
                done.complete(result);
            }
        }
    }
}
