package org.postwarden.outbound.queue;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Parses {@code postqueue -j} output: one JSON object per line with {@code queue_name}, {@code queue_id},
 * {@code arrival_time} (epoch seconds), {@code message_size}, {@code sender} ("" for the null sender) and
 * {@code recipients} ({@code [{"address": …, "delay_reason": …}]}); other fields ({@code forced_expire}) are
 * ignored. Bounded: at most {@code maxMessages} entries are kept, and at most {@code maxRetainedBytes} of memory by
 * their {@link #retainedBytes estimated} size (a spam run of 200,000 messages with hundreds of recipients each would
 * otherwise hold gigabytes); later lines are only counted. A line longer than {@code maxLineBytes} is dropped as
 * malformed, and a malformed line (bad JSON, a missing or mistyped field, a
 * queue name other than {@link #QUEUE_NAMES}, a queue id that is not {@link QueueCommands#isQueueId}) is skipped
 * and counted, never fatal. Thread-safe (stateless).
 */
public final class QueueListingParser {
    /** Queue names {@code postqueue -j} reports, in the order Postfix moves mail through them. */
    public static final List<String> QUEUE_NAMES = List.of("maildrop", "incoming", "active", "deferred", "hold");
    /** Longest line parsed: 1 MiB (a message with thousands of recipients fits). */
    public static final int DEFAULT_MAX_LINE_BYTES = 1 << 20;
    /** Memory the kept entries may take at most, by their estimated size: 64 MiB. */
    public static final long DEFAULT_MAX_RETAINED_BYTES = 64L << 20;

    private static final ObjectReader JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .readerFor(JsonNode.class);

    private final int maxMessages;
    private final int maxLineBytes;
    private final long maxRetainedBytes;

    public QueueListingParser(int maxMessages) {
        this(maxMessages, DEFAULT_MAX_LINE_BYTES);
    }

    public QueueListingParser(int maxMessages, int maxLineBytes) {
        this(maxMessages, maxLineBytes, DEFAULT_MAX_RETAINED_BYTES);
    }

    public QueueListingParser(int maxMessages, int maxLineBytes, long maxRetainedBytes) {
        if (maxRetainedBytes < 0) {
            throw new IllegalArgumentException("maxRetainedBytes: " + maxRetainedBytes + " (expected: 0 or more)");
        }
        if (maxMessages < 0) {
            throw new IllegalArgumentException("maxMessages: " + maxMessages + " (expected: 0 or more)");
        }
        if (maxLineBytes < 2) {
            throw new IllegalArgumentException("maxLineBytes: " + maxLineBytes + " (expected: at least 2)");
        }
        this.maxMessages = maxMessages;
        this.maxLineBytes = maxLineBytes;
        this.maxRetainedBytes = maxRetainedBytes;
    }

    /**
     * The memory {@code m} takes, estimated: the record and its list, and per string its object and its characters
     * (two bytes each, as a worst case of compact strings).
     */
    public static long retainedBytes(QueuedMessage m) {
        long n = 64 + string(m.queueName()) + string(m.queueId()) + string(m.sender()) + 16
                + 8L * m.recipients().size();
        for (String r : m.recipients()) {
            n += string(r);
        }
        return n;
    }

    private static long string(String s) {
        return 40 + 2L * s.length();
    }

    /** Reads {@code in} to its end (so the listing command never blocks on a full pipe); does not close it. */
    public QueueListing parse(InputStream in) throws IOException {
        BoundedLines lines = new BoundedLines(in, maxLineBytes);
        List<QueuedMessage> messages = new ArrayList<>();
        int total = 0;
        int malformed = 0;
        boolean truncated = false;
        long retained = 0;
        while (lines.next()) {
            if (lines.blank()) {
                continue;
            }
            total = saturatedIncrement(total);
            if (truncated || messages.size() >= maxMessages) {
                truncated = true;
                continue;
            }
            QueuedMessage m = lines.tooLong() ? null : entry(lines.bytes(), lines.length());
            if (m == null) {
                malformed++;
                continue;
            }
            long size = retainedBytes(m);
            if (retained + size > maxRetainedBytes) {
                truncated = true;
                continue;
            }
            retained += size;
            messages.add(m);
        }
        return new QueueListing(messages, total, malformed, truncated);
    }

    /** {@link #parse(InputStream)} of a string (tests, fixtures). */
    public QueueListing parse(String text) {
        try {
            return parse(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)));
        } catch (IOException e) {
            throw new IllegalStateException("reading a byte array failed", e);
        }
    }

    private static int saturatedIncrement(int n) {
        return n == Integer.MAX_VALUE ? n : n + 1;
    }

    /** One entry, or null when the line is not a well-formed entry. */
    private static QueuedMessage entry(byte[] bytes, int length) {
        JsonNode node;
        try {
            node = JSON.readValue(bytes, 0, length);
        } catch (IOException e) {
            return null;
        }
        if (node == null || !node.isObject()) {
            return null;
        }
        String queue = text(node.get("queue_name"));
        String id = text(node.get("queue_id"));
        String sender = text(node.get("sender"));
        JsonNode arrival = node.get("arrival_time");
        JsonNode size = node.get("message_size");
        JsonNode recipients = node.get("recipients");
        if (queue == null || !QUEUE_NAMES.contains(queue) || id == null || !QueueCommands.isQueueId(id)
                || sender == null || !wholeNumber(arrival) || !wholeNumber(size) || size.longValue() < 0
                || recipients == null || !recipients.isArray()) {
            return null;
        }
        List<String> addresses = new ArrayList<>(recipients.size());
        for (JsonNode r : recipients) {
            String address = r.isObject() ? text(r.get("address")) : null;
            if (address == null) {
                return null;
            }
            addresses.add(address);
        }
        return new QueuedMessage(queue, id, arrival.longValue(), size.longValue(), sender, addresses);
    }

    private static String text(JsonNode n) {
        return n != null && n.isTextual() ? n.textValue() : null;
    }

    private static boolean wholeNumber(JsonNode n) {
        return n != null && n.isIntegralNumber() && n.canConvertToLong();
    }
}
