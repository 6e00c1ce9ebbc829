package org.postwarden.outbound.queue;

import io.micrometer.core.instrument.Counter;
import org.postwarden.config.PostwardenConfig;
import org.postwarden.metrics.PostwardenMetrics;
import org.postwarden.model.TimeSource;
import org.postwarden.outbound.Alert;
import org.postwarden.outbound.AlertSink;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Watches the Postfix queue: each {@link #poll()} lists it ({@link QueueCommands#list()}), measures the listing
 * ({@link QueueMeasurement}: depth, the age of its oldest messages, its top envelope sender and its growth) and
 * publishes that as metrics and as {@link #latest()}, raises alerts when {@code outbound.queue} thresholds are
 * crossed ({@link QueueAlertPolicy}), and (with {@code hold-suspended}) puts the queued messages of suspended
 * senders ({@link HoldTargets}) on hold ({@link QueueHolder}). This class schedules the polls and runs those steps.
 *
 * <p>Alerts ({@link Alert#kind()}, each at most once per {@code alert-interval}, the share alert once per sender):
 * <ul>
 * <li>{@code queue-depth}: incoming + active + deferred (+ entries past {@code max-messages}) above
 *     {@code alert-depth}; subject: the largest of those queues.</li>
 * <li>{@code queue-age}: the oldest message outside hold older than {@code alert-oldest-age}; subject: its
 *     queue.</li>
 * <li>{@code queue-sender-share}: a sender with at least {@code alert-sender-min-messages} messages and at least
 *     {@code alert-sender-share} of the parsed messages outside hold (at most
 *     {@value QueueAlertPolicy#MAX_SENDER_ALERTS_PER_POLL} senders per poll); subject: the sender ({@code <>} for
 *     the null sender).</li>
 * <li>{@code queue-growth}: the queued messages (all queues, hold included, so a release from hold is no growth)
 *     grew faster than {@code alert-growth-per-minute} since the previous successful poll; subject: the queue that
 *     grew most.</li>
 * </ul>
 * A threshold of 0 turns its alert off.
 *
 * <p>Failures never leave {@link #poll()}: a failing command is counted ({@code postwarden_queue_polls_total
 * {result="error"}}), logged once per failure streak (WARN, then INFO when it works again) and the gauges keep
 * their previous values.
 *
 * <p>Thread-safety: {@link #poll()} is synchronized (one poll at a time) and blocks for as long as the commands
 * run, so it belongs on a scheduler thread, never on an event loop; {@link #latest()} and the gauges may be read
 * from any thread. Create one watcher per metrics registry: its gauges are registered once, in the constructor, and
 * the settings are read at each poll (a reload needs no new watcher).
 */
public final class QueueWatcher {
    private static final Logger LOG = LoggerFactory.getLogger("org.postwarden.outbound");

    private final QueueCommands commands;
    private final Supplier<PostwardenConfig.Queue> settings;
    private final TimeSource time;
    private final Counter pollsOk;
    private final Counter pollsError;
    private final QueueAlertPolicy policy;
    private final QueueHolder holder;

    private volatile QueueStats latest = QueueStats.EMPTY;

    // Guarded by this (poll).
    private QueueStats previous;
    private final FailureStreak listing = new FailureStreak("queue listing");
    private final FailureStreak polling = new FailureStreak("queue poll");

    // Guarded by scheduling.
    private final Object scheduling = new Object();
    private ScheduledExecutorService scheduler;
    private ScheduledFuture<?> next;
    private boolean running;

    public QueueWatcher(QueueCommands commands, Supplier<PostwardenConfig.Queue> settings, TimeSource time,
            PostwardenMetrics metrics, AlertSink alerts, HoldTargets targets) {
        this.commands = commands;
        this.settings = settings;
        this.time = time;
        this.policy = new QueueAlertPolicy(alerts);
        for (String queue : QueueListingParser.QUEUE_NAMES) {
            metrics.gauge("postwarden.queue.messages", "Messages in a Postfix queue (last successful poll)",
                    () -> latest.messages().getOrDefault(queue, 0L), "queue", queue);
            metrics.gauge("postwarden.queue.oldest.age.seconds",
                    "Age of the oldest message in a Postfix queue, seconds (0 when empty)",
                    () -> latest.oldestAgeSeconds().getOrDefault(queue, 0L), "queue", queue);
        }
        metrics.gauge("postwarden.queue.top.sender.share",
                "Share of the messages outside hold that have the most frequent envelope sender",
                () -> latest.topSenderShare());
        metrics.gauge("postwarden.queue.growth.per.minute",
                "Change of the messages outside hold per minute, between the last two successful polls",
                () -> latest.growthPerMinute());
        pollsOk = Counter.builder("postwarden.queue.polls").description("Queue polls by result")
                .tag("result", "ok").register(metrics.registry());
        pollsError = Counter.builder("postwarden.queue.polls").description("Queue polls by result")
                .tag("result", "error").register(metrics.registry());
        holder = new QueueHolder(commands, targets, metrics);
    }

    /** The figures of the last successful poll ({@link QueueStats#EMPTY} before it), with the latest error. */
    public QueueStats latest() {
        return latest;
    }

    /**
     * Schedules {@link #poll()} on {@code scheduler} now and then every {@code interval} (read again after each
     * poll) while {@code watch} is true; returns at once. Returns false and schedules nothing when {@code watch} is
     * false; when a reload turns {@code watch} off, polling stops and a later {@code start} resumes it. Calling it
     * while polling is scheduled does nothing (returns true).
     */
    public boolean start(ScheduledExecutorService scheduler) {
        synchronized (scheduling) {
            if (running) {
                return true;
            }
            if (!settings.get().watch()) {
                return false;
            }
            this.scheduler = scheduler;
            running = true;
            next = scheduler.schedule(this::tick, 0, TimeUnit.MILLISECONDS);
            return true;
        }
    }

    /** Stops scheduled polling (a poll under way finishes). */
    public void stop() {
        synchronized (scheduling) {
            running = false;
            if (next != null) {
                next.cancel(false);
                next = null;
            }
        }
    }

    private void tick() {
        synchronized (scheduling) {
            if (!running) {
                return;
            }
        }
        long delayMillis = 60_000;
        try {
            PostwardenConfig.Queue q = settings.get();
            if (!q.watch()) {
                synchronized (scheduling) {
                    running = false;
                    next = null;
                }
                LOG.info("queue watch turned off: polling the queue stops");
                return;
            }
            delayMillis = q.interval().toMillis();
            poll();
        } catch (RuntimeException e) {
            LOG.warn("queue poll round failed: {}", FailureStreak.reason(e), e);
        }
        synchronized (scheduling) {
            if (running) {
                try {
                    next = scheduler.schedule(this::tick, delayMillis, TimeUnit.MILLISECONDS);
                } catch (RejectedExecutionException e) {
                    running = false;
                    next = null;
                }
            }
        }
    }

    /**
     * One round: list, measure, alert, hold. Blocks while the commands run (up to {@code command-timeout} each);
     * never throws.
     */
    public synchronized void poll() {
        boolean ok;
        try {
            ok = pollOnce();
            polling.worked();
        } catch (RuntimeException e) {
            ok = false;
            polling.failed(FailureStreak.reason(e));
            latest = latest.failed(FailureStreak.reason(e));
        }
        (ok ? pollsOk : pollsError).increment();
    }

    private boolean pollOnce() {
        PostwardenConfig.Queue q = settings.get();
        QueueListing list;
        try {
            list = commands.list();
        } catch (IOException e) {
            listing.failed(FailureStreak.reason(e));
            latest = latest.failed(FailureStreak.reason(e));
            return false;
        }
        listing.worked();
        long now = time.millis();
        QueueMeasurement m = QueueMeasurement.of(list, previous, now);
        latest = m.stats();
        policy.check(q, m, previous, now);
        previous = m.stats();
        if (!q.holdSuspended()) {
            return true;
        }
        String error = holder.holdSuspended(list);
        if (error != null) {
            latest = latest.failed(error);
            return false;
        }
        return true;
    }
}
