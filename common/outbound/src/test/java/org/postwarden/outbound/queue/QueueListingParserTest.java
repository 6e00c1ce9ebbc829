package org.postwarden.outbound.queue;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code postqueue -j} lines as Postfix 3.x writes them; malformed, oversize and excess lines. */
class QueueListingParserTest {
    static final String DEFERRED = """
            {"queue_name": "deferred", "queue_id": "4BkT2V3bNzz9vQ1", "arrival_time": 1700000000, \
            "message_size": 2405, "forced_expire": false, "sender": "alice@example.org", "recipients": \
            [{"address": "bob@example.net", "delay_reason": "connect to mx.example.net[192.0.2.5]:25: Connection \
            timed out"}, {"address": "carol@example.net"}]}""";
    static final String BOUNCE = """
            {"queue_name": "active", "queue_id": "D3A1B2C4E5", "arrival_time": 1700000100, "message_size": 4410, \
            "forced_expire": false, "sender": "", "recipients": [{"address": "spam-victim@example.com"}]}""";
    static final String HELD = """
            {"queue_name": "hold", "queue_id": "4BkT2W0xYzz9vQ2", "arrival_time": 1699990000, "message_size": 512, \
            "forced_expire": false, "sender": "mallory@example.org", "recipients": [{"address": "x@example.com"}]}""";

    final QueueListingParser parser = new QueueListingParser(1000);

    @Test
    void parsesRealLinesIncludingTheNullSender() {
        QueueListing l = parser.parse(DEFERRED + "\n" + BOUNCE + "\n" + HELD + "\n");
        assertEquals(3, l.total());
        assertEquals(0, l.malformed());
        assertFalse(l.truncated());
        assertEquals(new QueuedMessage("deferred", "4BkT2V3bNzz9vQ1", 1700000000L, 2405, "alice@example.org",
                List.of("bob@example.net", "carol@example.net")), l.messages().get(0));
        assertEquals(new QueuedMessage("active", "D3A1B2C4E5", 1700000100L, 4410, "",
                List.of("spam-victim@example.com")), l.messages().get(1));
        assertEquals("hold", l.messages().get(2).queueName());
    }

    @Test
    void emptyOutputIsAnEmptyQueue() {
        assertEquals(QueueListing.EMPTY, parser.parse(""));
        assertEquals(QueueListing.EMPTY, parser.parse("\n  \n"));
    }

    @Test
    void malformedLinesAreSkippedAndCounted() {
        String text = String.join("\n",
                DEFERRED,
                "postqueue: warning: this is not JSON",
                "{\"queue_name\": \"deferred\", \"queue_id\": \"4BkT2V3bNzz9vQ1\"}",          // fields missing
                BOUNCE.replace("\"active\"", "\"corrupt\""),                                   // unknown queue
                BOUNCE.replace("D3A1B2C4E5", "D3A1;rm -rf"),                                    // not a queue id
                BOUNCE.replace("1700000100", "\"1700000100\""),                                 // string time
                BOUNCE.replace("\"sender\": \"\"", "\"sender\": null"),                         // null sender field
                BOUNCE.replace("[{\"address\": \"spam-victim@example.com\"}]", "[\"x@example.com\"]"),
                BOUNCE + " {}",                                                                  // trailing tokens
                "[1, 2, 3]",
                HELD);
        QueueListing l = parser.parse(text);
        assertEquals(11, l.total());
        assertEquals(9, l.malformed());
        assertEquals(List.of("4BkT2V3bNzz9vQ1", "4BkT2W0xYzz9vQ2"),
                l.messages().stream().map(QueuedMessage::queueId).toList());
        assertEquals(0, l.unparsed());
    }

    @Test
    void stopsParsingAtMaxMessagesButCountsTheRest() {
        QueueListing l = new QueueListingParser(2).parse(DEFERRED + "\n" + BOUNCE + "\n" + HELD + "\n" + BOUNCE);
        assertEquals(2, l.messages().size());
        assertEquals(4, l.total());
        assertTrue(l.truncated());
        assertEquals(2, l.unparsed());
    }

    @Test
    void tooLongLineIsMalformedAndTheNextLineStillParses() {
        QueueListingParser small = new QueueListingParser(10, 400);
        String longLine = DEFERRED.replace("carol@example.net", "c".repeat(1000) + "@example.net");
        QueueListing l = small.parse(longLine + "\n" + BOUNCE + "\n");
        assertEquals(2, l.total());
        assertEquals(1, l.malformed());
        assertEquals("D3A1B2C4E5", l.messages().getFirst().queueId());
    }

    @Test
    void defaultLimitDropsALineOverOneMebibyte() {
        String huge = DEFERRED.replace("carol@example.net", "c".repeat(QueueListingParser.DEFAULT_MAX_LINE_BYTES));
        QueueListing l = parser.parse(huge + "\n" + HELD);
        assertEquals(1, l.malformed());
        assertEquals(1, l.messages().size());
    }

    @Test
    void crlfAndMissingFinalNewlineAndOneByteReads() throws Exception {
        byte[] bytes = (DEFERRED + "\r\n" + BOUNCE + "\r\n" + HELD).getBytes(StandardCharsets.UTF_8);
        QueueListing l = parser.parse(oneByteAtATime(bytes));
        assertEquals(3, l.messages().size());
        assertEquals(0, l.malformed());
    }

    /** A listing of {@code entries} held messages with {@code recipients} recipients each, generated as it is read. */
    static InputStream spamRun(int entries, int recipients) {
        return new InputStream() {
            int entry;
            byte[] line = new byte[0];
            int pos;

            @Override
            public int read() {
                if (pos == line.length) {
                    if (entry == entries) {
                        return -1;
                    }
                    StringBuilder sb = new StringBuilder("{\"queue_name\": \"deferred\", \"queue_id\": \"S")
                            .append(entry++).append("\", \"arrival_time\": 1700000000, \"message_size\": 900, "
                                    + "\"sender\": \"spam@example.org\", \"recipients\": [");
                    for (int r = 0; r < recipients; r++) {
                        sb.append(r == 0 ? "" : ", ").append("{\"address\": \"victim").append(r)
                                .append("@recipient-domain.example\", \"delay_reason\": \"connect timeout\"}");
                    }
                    line = sb.append("]}\n").toString().getBytes(StandardCharsets.UTF_8);
                    pos = 0;
                }
                return line[pos++] & 255;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                int n = 0;
                while (n < len) {
                    int c = read();
                    if (c < 0) {
                        return n == 0 ? -1 : n;
                    }
                    b[off + n++] = (byte) c;
                }
                return n;
            }
        };
    }

    @Test
    void aSpamRunIsBoundedByTheBytesItsEntriesTakeNotOnlyByTheirCount() throws Exception {
        // the watcher's parser (max-messages 200000): 3000 entries of 400 recipients would keep ~130 MB
        QueueListing l = new QueueListingParser(200_000).parse(spamRun(3000, 400));
        assertEquals(3000, l.total());
        assertTrue(l.truncated());
        long kept = l.messages().stream().mapToLong(QueueListingParser::retainedBytes).sum();
        assertTrue(kept <= QueueListingParser.DEFAULT_MAX_RETAINED_BYTES, kept + " bytes kept");
        assertTrue(l.messages().size() > 1000 && l.messages().size() < 3000, l.messages().size() + " kept");
        assertEquals(3000 - l.messages().size(), l.unparsed());
        // a small budget keeps what fits and counts the rest
        QueueListing small = new QueueListingParser(200_000, QueueListingParser.DEFAULT_MAX_LINE_BYTES, 100_000)
                .parse(spamRun(50, 100));
        assertEquals(50, small.total());
        long one = QueueListingParser.retainedBytes(small.messages().getFirst());
        assertEquals(100_000 / one, small.messages().size());
    }

    @Test
    void refusesBadLimits() {
        assertThrows(IllegalArgumentException.class, () -> new QueueListingParser(-1));
        assertThrows(IllegalArgumentException.class, () -> new QueueListingParser(10, 0));
        assertThrows(IllegalArgumentException.class, () -> new QueueListingParser(10, 10, -1));
    }

    /** An input stream that hands out one byte per read, like a slow pipe. */
    static InputStream oneByteAtATime(byte[] bytes) {
        return new ByteArrayInputStream(bytes) {
            @Override
            public synchronized int read(byte[] b, int off, int len) {
                return super.read(b, off, Math.min(len, 1));
            }
        };
    }
}
