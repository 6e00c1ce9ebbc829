package org.postwarden.outbound.queue;

import java.util.Map;

/**
 * What the last successful poll of the queue found.
 *
 * @param atMillis         when it was measured (epoch milliseconds; 0 before the first successful poll)
 * @param messages         messages per queue ({@link QueueListingParser#QUEUE_NAMES}, all present)
 * @param oldestAgeSeconds age of the oldest message per queue, seconds (0 for an empty queue)
 * @param outsideHold      messages outside the hold queue, including entries listed past {@code max-messages}
 * @param topSender        the envelope sender with the most messages outside hold ("" for the null sender, or
 *                         when the queue outside hold is empty: then {@code topSenderMessages} is 0)
 * @param topSenderMessages its messages outside hold
 * @param topSenderShare   its share of the parsed messages outside hold, 0 to 1
 * @param growthPerMinute  change of {@code listed} (every queue, hold included) per minute since the previous
 *                         successful poll (0 for the first)
 * @param listed           entries listed (parsed or not)
 * @param malformed        entries skipped as malformed
 * @param truncated        entries were left unparsed ({@code max-messages}): per-queue figures miss them
 * @param lastError        why the latest poll failed ("" when it worked); when the listing failed, the figures are
 *                         the previous ones
 */
public record QueueStats(long atMillis, Map<String, Long> messages, Map<String, Long> oldestAgeSeconds,
        long outsideHold, String topSender, long topSenderMessages, double topSenderShare, double growthPerMinute,
        int listed, int malformed, boolean truncated, String lastError) {
    public QueueStats {
        messages = Map.copyOf(messages);
        oldestAgeSeconds = Map.copyOf(oldestAgeSeconds);
    }

    /** Before the first successful poll. */
    public static final QueueStats EMPTY = new QueueStats(0, zeros(), zeros(), 0, "", 0, 0, 0, 0, 0, false, "");

    private static Map<String, Long> zeros() {
        return Map.of("maildrop", 0L, "incoming", 0L, "active", 0L, "deferred", 0L, "hold", 0L);
    }

    QueueStats failed(String error) {
        return new QueueStats(atMillis, messages, oldestAgeSeconds, outsideHold, topSender, topSenderMessages,
                topSenderShare, growthPerMinute, listed, malformed, truncated, error);
    }
}
