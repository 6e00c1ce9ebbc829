package org.postwarden.outbound.queue;

import org.postwarden.config.PostwardenConfig;
import org.postwarden.outbound.Alert;
import org.postwarden.outbound.AlertSink;
import org.postwarden.text.LogSafe;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Compares each {@link QueueMeasurement} with the {@code outbound.queue} alert thresholds and raises the queue
 * alerts ({@code queue-depth}, {@code queue-age}, {@code queue-sender-share}, {@code queue-growth}; see
 * {@link QueueWatcher}), each at most once per {@code alert-interval} (the share alert once per sender). A
 * threshold of 0 turns its alert off.
 *
 * <p>Not thread-safe: it remembers when each alert was last raised; the watcher calls it from its poll, one at a
 * time.
 */
final class QueueAlertPolicy {
    /** Sender-share alerts raised in one poll at most (a low share threshold could match many senders). */
    static final int MAX_SENDER_ALERTS_PER_POLL = 10;

    private final AlertSink alerts;
    private final Map<String, Long> lastAlerts = new HashMap<>();

    QueueAlertPolicy(AlertSink alerts) {
        this.alerts = alerts;
    }

    /**
     * Raises what {@code m}, measured at {@code now}, crosses under {@code q}; {@code previous}: the stats of the
     * poll before (null for the first), for the growth alert.
     */
    void check(PostwardenConfig.Queue q, QueueMeasurement m, QueueStats previous, long now) {
        long interval = q.alertInterval().toMillis();
        lastAlerts.values().removeIf(at -> now - at >= interval);
        QueueStats s = m.stats();
        if (q.alertDepth() > 0) {
            long depth = m.depth();
            String largest = m.largestDepthQueue();
            if (depth > q.alertDepth() && due("queue-depth", now)) {
                Map<String, Object> details = new LinkedHashMap<>();
                details.put("messages", depth);
                details.put("threshold", q.alertDepth());
                for (String queue : QueueMeasurement.DEPTH_QUEUES) {
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
        if (q.alertSenderShare() > 0) {
            List<Map.Entry<String, Long>> heavy = m.heavySenders(q.alertSenderMinMessages(), q.alertSenderShare(),
                    MAX_SENDER_ALERTS_PER_POLL);
            for (Map.Entry<String, Long> e : heavy) {
                if (!due("queue-sender-share\u0000" + e.getKey(), now)) {
                    continue;
                }
                String sender = e.getKey().isEmpty() ? "<>" : LogSafe.escape(e.getKey(), 320);
                double share = m.share(e.getValue());
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
            String grew = m.grewMost(previous);
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
}
