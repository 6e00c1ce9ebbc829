package org.postwarden.outbound.queue;

import java.util.List;

/**
 * One parsed queue listing.
 *
 * @param messages  the entries parsed, in listing order (at most the parser's {@code maxMessages})
 * @param total     entries listed (non-blank lines), parsed or not
 * @param malformed entries skipped as malformed or too long (never in {@code messages})
 * @param truncated true when entries were left unparsed because {@code maxMessages} was reached; they are in
 *                  {@code total} only ({@link #unparsed()})
 */
public record QueueListing(List<QueuedMessage> messages, int total, int malformed, boolean truncated) {
    public QueueListing {
        messages = List.copyOf(messages);
    }

    /** An empty queue. */
    public static final QueueListing EMPTY = new QueueListing(List.of(), 0, 0, false);

    /** Entries counted but not parsed (past {@code maxMessages}): their queue and sender are unknown. */
    public int unparsed() {
        return Math.max(0, total - messages.size() - malformed);
    }
}
