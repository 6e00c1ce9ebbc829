package org.postwarden.outbound.queue;

import io.micrometer.core.instrument.Counter;
import org.postwarden.config.PostwardenConfig;
import org.postwarden.metrics.PostwardenMetrics;
import org.postwarden.model.TimeSource;
import org.postwarden.outbound.Alert;
import org.postwarden.outbound.AlertSink;
import org.postwarden.text.LogSafe;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * Watches the Postfix queue: each {@link #poll()} lists it ({@link QueueCommands#list()}), publishes its depth, the
 * age of its oldest messages, its top envelope sender and its growth as metrics and as {@link #latest()}, raises
 * alerts when {@code outbound.queue} thresholds are crossed, and (with {@code hold-suspended}) puts the queued
 * messages of suspended senders ({@link HoldTargets}) on hold.
 *
 * <p>Alerts ({@link Alert#kind()}, each at most once per {@code alert-interval}, the share alert once per sender):
 * <ul>
 * <li>{@code queue-depth}: incoming + active + deferred (+ entries past {@code max-messages}) above
 *     {@code alert-depth}; subject: the largest of those queues.</li>
 * <li>{@code queue-age}: the oldest message outside hold older than {@code alert-oldest-age}; subject: its
 *     queue.</li>
 * <li>{@code queue-sender-share}: a sender with at least {@code alert-sender-min-messages} messages and at least
 *     {@code alert-sender-share} of the parsed messages outside hold (at most {@value #MAX_SENDER_ALERTS_PER_POLL}
 *     senders per poll); subject: the sender ({@code <>} for the null sender).</li>
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
    /** Sender-share alerts raised in one poll at most (a low share threshold could match many senders). */
    static final int MAX_SENDER_ALERTS_PER_POLL = 10;
    private static final String HOLD = "hold";
    private static final List<String> OUTSIDE_HOLD = List.of("maildrop", "incoming", "active", "deferred");
    private static final List<String> DEPTH_QUEUES = List.of("incoming", "active", "deferred");

    private final QueueCommands commands;
    private final Supplier<PostwardenConfig.Queue> settings;
    private final TimeSource time;
    private final AlertSink alerts;
    private final HoldTargets targets;
    private final Counter pollsOk;
    private final Counter pollsError;
    private final Counter held;

    private volatile QueueStats latest = QueueStats.EMPTY;

    // Guarded by this (poll).
    private QueueStats previous;
    private final Map<String, Long> lastAlerts = new HashMap<>();
    private final Streak listing = new Streak("queue listing");
    private final Streak holding = new Streak("holding queued messages of suspended senders");
    private final Streak polling = new Streak("queue poll");

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
        this.alerts = alerts;
        this.targets = targets;
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
        held = Counter.builder("postwarden.queue.held.messages")
                .description("Queued messages of suspended senders this watcher put on hold")
                .register(metrics.registry());
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
            LOG.warn("queue poll round failed: {}", reason(e), e);
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
            polling.failed(reason(e));
            latest = latest.failed(reason(e));
        }
        (ok ? pollsOk : pollsError).increment();
    }

    private boolean pollOnce() {
        PostwardenConfig.Queue q = settings.get();
        QueueListing list;
        try {
            list = commands.list();
        } catch (IOException e) {
            listing.failed(reason(e));
            latest = latest.failed(reason(e));
            return false;
        }
        listing.worked();
        long now = time.millis();
        Measured m = measure(list, now);
        latest = m.stats();
        checkAlerts(q, m, now);
        previous = m.stats();
        if (!q.holdSuspended()) {
            return true;
        }
        String error = holdSuspended(list);
        if (error != null) {
            latest = latest.failed(error);
            return false;
        }
        return true;
    }

    /** The stats plus what the alerts need besides them. */
    private record Measured(QueueStats stats, Map<String, Long> senders, long parsedOutsideHold, int unparsed,
            String oldestQueue, String oldestId, long oldestAgeSeconds) {
    }

    private Measured measure(QueueListing list, long now) {
        Map<String, Long> counts = new LinkedHashMap<>();
        Map<String, QueuedMessage> oldest = new HashMap<>();
        for (String queue : QueueListingParser.QUEUE_NAMES) {
            counts.put(queue, 0L);
        }
        Map<String, Long> senders = new HashMap<>();
        long parsedOutside = 0;
        for (QueuedMessage msg : list.messages()) {
            counts.merge(msg.queueName(), 1L, Long::sum);
            QueuedMessage o = oldest.get(msg.queueName());
            if (o == null || msg.arrivalTimeSeconds() < o.arrivalTimeSeconds()) {
                oldest.put(msg.queueName(), msg);
            }
            if (!HOLD.equals(msg.queueName())) {
                parsedOutside++;
                senders.merge(msg.sender(), 1L, Long::sum);
            }
        }
        long nowSeconds = Math.floorDiv(now, 1000L);
        Map<String, Long> ages = new LinkedHashMap<>();
        for (String queue : QueueListingParser.QUEUE_NAMES) {
            QueuedMessage o = oldest.get(queue);
            ages.put(queue, o == null ? 0L : Math.max(0L, nowSeconds - o.arrivalTimeSeconds()));
        }
        String oldestQueue = "";
        String oldestId = "";
        long oldestAge = 0;
        for (String queue : OUTSIDE_HOLD) {
            QueuedMessage o = oldest.get(queue);
            if (o != null && (oldestQueue.isEmpty() || ages.get(queue) > oldestAge)) {
                oldestQueue = queue;
                oldestId = o.queueId();
                oldestAge = ages.get(queue);
            }
        }
        String topSender = "";
        long topCount = 0;
        for (Map.Entry<String, Long> e : senders.entrySet()) {
            if (e.getValue() > topCount || e.getValue() == topCount && e.getKey().compareTo(topSender) < 0) {
                topSender = e.getKey();
                topCount = e.getValue();
            }
        }
        double share = parsedOutside == 0 ? 0 : (double) topCount / parsedOutside;
        long outside = parsedOutside + list.unparsed();
        double growth = 0;
        if (previous != null && now > previous.atMillis()) {
            // all queues, hold included: a release from hold moves messages, it adds none
            growth = (list.total() - previous.listed()) * 60_000.0 / (now - previous.atMillis());
        }
        QueueStats stats = new QueueStats(now, counts, ages, outside, topSender, topCount, share, growth,
                list.total(), list.malformed(), list.truncated(), "");
        return new Measured(stats, senders, parsedOutside, list.unparsed(), oldestQueue, oldestId, oldestAge);
    }

    private void checkAlerts(PostwardenConfig.Queue q, Measured m, long now) {
        long interval = q.alertInterval().toMillis();
        lastAlerts.values().removeIf(at -> now - at >= interval);
        QueueStats s = m.stats();
        if (q.alertDepth() > 0) {
            long depth = m.unparsed();
            String largest = DEPTH_QUEUES.getFirst();
            for (String queue : DEPTH_QUEUES) {
                depth += s.messages().get(queue);
                if (s.messages().get(queue) > s.messages().get(largest)) {
                    largest = queue;
                }
            }
            if (depth > q.alertDepth() && due("queue-depth", now)) {
                Map<String, Object> details = new LinkedHashMap<>();
                details.put("messages", depth);
                details.put("threshold", q.alertDepth());
                for (String queue : DEPTH_QUEUES) {
                    details.put(queue, s.messages().get(queue));
                }
                details.put("unparsed", m.unparsed());
                raise("queue-depth", largest, String.format(Locale.ROOT,
                        "%d messages in incoming, active and deferred (threshold %d; most in %s)", depth,
                        q.alertDepth(), largest), details, now);
            }
        }
        long maxAge = q.alertOldestAge().toSeconds();
        if (maxAge > 0 && m.oldestAgeSeconds() > maxAge && due("queue-age", now)) {
            raise("queue-age", m.oldestQueue(), String.format(Locale.ROOT,
                    "oldest message outside hold (%s in %s) is %d s old (threshold %d s)", m.oldestId(),
                    m.oldestQueue(), m.oldestAgeSeconds(), maxAge),
                    Map.of("ageSeconds", m.oldestAgeSeconds(), "thresholdSeconds", maxAge, "queueId", m.oldestId(),
                            "queue", m.oldestQueue()), now);
        }
        if (q.alertSenderShare() > 0 && m.parsedOutsideHold() > 0) {
            List<Map.Entry<String, Long>> heavy = m.senders().entrySet().stream()
                    .filter(e -> e.getValue() >= q.alertSenderMinMessages()
                            && (double) e.getValue() / m.parsedOutsideHold() >= q.alertSenderShare())
                    .sorted(Map.Entry.<String, Long>comparingByValue(Comparator.reverseOrder())
                            .thenComparing(Map.Entry.comparingByKey()))
                    .limit(MAX_SENDER_ALERTS_PER_POLL)
                    .toList();
            for (Map.Entry<String, Long> e : heavy) {
                if (!due("queue-sender-share\u0000" + e.getKey(), now)) {
                    continue;
                }
                String sender = e.getKey().isEmpty() ? "<>" : LogSafe.escape(e.getKey(), 320);
                double share = (double) e.getValue() / m.parsedOutsideHold();
                Map<String, Object> details = new LinkedHashMap<>();
                details.put("sender", sender);
                details.put("messages", e.getValue());
                details.put("outsideHold", m.parsedOutsideHold());
                details.put("share", share);
                details.put("threshold", q.alertSenderShare());
                details.put("minMessages", q.alertSenderMinMessages());
                raise("queue-sender-share", sender, String.format(Locale.ROOT,
                        "sender %s has %.0f%% of the queue outside hold (%d of %d messages; threshold %.0f%%)",
                        sender, share * 100, e.getValue(), m.parsedOutsideHold(), q.alertSenderShare() * 100),
                        details, now);
            }
        }
        if (q.alertGrowthPerMinute() > 0 && previous != null && s.growthPerMinute() > q.alertGrowthPerMinute()
                && due("queue-growth", now)) {
            String grew = QueueListingParser.QUEUE_NAMES.getFirst();
            long most = Long.MIN_VALUE;
            for (String queue : QueueListingParser.QUEUE_NAMES) {
                long d = s.messages().get(queue) - previous.messages().getOrDefault(queue, 0L);
                if (d > most) {
                    most = d;
                    grew = queue;
                }
            }
            Map<String, Object> details = new LinkedHashMap<>();
            details.put("growthPerMinute", s.growthPerMinute());
            details.put("threshold", q.alertGrowthPerMinute());
            details.put("previous", previous.listed());
            details.put("current", s.listed());
            details.put("elapsedSeconds", (now - previous.atMillis()) / 1000.0);
            raise("queue-growth", grew, String.format(Locale.ROOT,
                    "queue grows by %.1f messages per minute (threshold %.1f; %d -> %d, most in %s)",
                    s.growthPerMinute(), q.alertGrowthPerMinute(), previous.listed(), s.listed(), grew),
                    details, now);
        }
    }

    /** True (and remembered) when no alert under {@code key} was raised within the interval (pruned before). */
    private boolean due(String key, long now) {
        return lastAlerts.putIfAbsent(key, now) == null;
    }

    private void raise(String kind, String subject, String summary, Map<String, Object> details, long now) {
        alerts.raise(new Alert(kind, subject, summary, details, now));
    }

    /** Holds what {@link HoldTargets} picks among the listed messages outside hold; the error, or null. */
    private String holdSuspended(QueueListing list) {
        List<QueuedMessage> outside = list.messages().stream().filter(m -> !HOLD.equals(m.queueName())).toList();
        if (outside.isEmpty()) {
            return null;
        }
        List<String> wanted = targets.toHold(outside);
        if (wanted == null || wanted.isEmpty()) {
            return null;
        }
        Set<String> listed = outside.stream().map(QueuedMessage::queueId).collect(Collectors.toSet());
        List<String> ids = wanted.stream().filter(listed::contains).distinct().toList();
        if (ids.isEmpty()) {
            return null;
        }
        try {
            int n = commands.hold(ids);
            holding.worked();
            held.increment(n);
            LOG.info("put {} queued messages of suspended senders on hold ({} queue ids given to postsuper)", n,
                    ids.size());
            return null;
        } catch (IOException e) {
            holding.failed(reason(e));
            return reason(e);
        }
    }

    private static String reason(Exception e) {
        String message = e.getMessage();
        return LogSafe.escape(message == null ? e.getClass().getSimpleName() : message, 500);
    }

    /** Logs the first failure of a streak as WARN, later ones at DEBUG, and the recovery as INFO. */
    private static final class Streak {
        private final String what;
        private boolean failing;

        Streak(String what) {
            this.what = what;
        }

        void failed(String reason) {
            if (!failing) {
                failing = true;
                LOG.warn("{} failed: {} (retried every poll; logged again once it works)", what, reason);
            } else {
                LOG.debug("{} still failing: {}", what, reason);
            }
        }

        void worked() {
            if (failing) {
                failing = false;
                LOG.info("{} works again", what);
            }
        }
    }
}
