package org.postwarden.outbound.queue;

import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The statistics of one queue listing: the published {@link QueueStats} (messages and oldest age per queue, top
 * sender and its share, growth since the previous successful poll) plus what the alert thresholds are compared
 * with (the message count per sender outside hold, the oldest message outside hold, the depth of incoming, active
 * and deferred). Computed by {@link #of}, a pure function of the listing, the previous stats and the time.
 * Not modified once made (the sender map is its own, unexposed beyond this package).
 *
 * @param stats             what the gauges and {@code QueueWatcher.latest()} show
 * @param senders           messages outside hold per envelope sender ("" for the null sender), parsed ones only
 * @param parsedOutsideHold parsed messages outside hold
 * @param unparsed          entries listed past {@code max-messages} (queue and sender unknown)
 * @param oldestQueue       the queue outside hold with the oldest message ("" when all are empty)
 * @param oldestId          that message's queue id
 * @param oldestAgeSeconds  its age, seconds
 */
record QueueMeasurement(QueueStats stats, Map<String, Long> senders, long parsedOutsideHold, int unparsed,
        String oldestQueue, String oldestId, long oldestAgeSeconds) {
    static final String HOLD = "hold";
    private static final List<String> OUTSIDE_HOLD = List.of("maildrop", "incoming", "active", "deferred");
    /** The queues whose sum is the depth (with the unparsed entries): maildrop and hold are not mail on its way. */
    static final List<String> DEPTH_QUEUES = List.of("incoming", "active", "deferred");

    /** Measures {@code list}, listed at {@code now} (epoch ms); {@code previous}: the last successful poll, or null. */
    static QueueMeasurement of(QueueListing list, QueueStats previous, long now) {
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
        return new QueueMeasurement(stats, senders, parsedOutside, list.unparsed(), oldestQueue, oldestId,
                oldestAge);
    }

    /** Messages in incoming, active and deferred, plus the unparsed entries. */
    long depth() {
        long depth = unparsed;
        for (String queue : DEPTH_QUEUES) {
            depth += stats.messages().get(queue);
        }
        return depth;
    }

    /** The one of incoming, active and deferred with the most messages (the first of them on a tie). */
    String largestDepthQueue() {
        String largest = DEPTH_QUEUES.getFirst();
        for (String queue : DEPTH_QUEUES) {
            if (stats.messages().get(queue) > stats.messages().get(largest)) {
                largest = queue;
            }
        }
        return largest;
    }

    /**
     * The senders with at least {@code minMessages} messages and at least {@code minShare} of the parsed messages
     * outside hold, most messages first (then by address), at most {@code limit}.
     */
    List<Map.Entry<String, Long>> heavySenders(long minMessages, double minShare, int limit) {
        if (parsedOutsideHold == 0) {
            return List.of();
        }
        return senders.entrySet().stream()
                .filter(e -> e.getValue() >= minMessages && share(e.getValue()) >= minShare)
                .sorted(Map.Entry.<String, Long>comparingByValue(Comparator.reverseOrder())
                        .thenComparing(Map.Entry.comparingByKey()))
                .limit(limit)
                .toList();
    }

    /** {@code messages} as a share of the parsed messages outside hold. */
    double share(long messages) {
        return (double) messages / parsedOutsideHold;
    }

    /** The queue whose message count grew most since {@code previous} (the first in listing order on a tie). */
    String grewMost(QueueStats previous) {
        String grew = QueueListingParser.QUEUE_NAMES.getFirst();
        long most = Long.MIN_VALUE;
        for (String queue : QueueListingParser.QUEUE_NAMES) {
            long d = stats.messages().get(queue) - previous.messages().getOrDefault(queue, 0L);
            if (d > most) {
                most = d;
                grew = queue;
            }
        }
        return grew;
    }
}
