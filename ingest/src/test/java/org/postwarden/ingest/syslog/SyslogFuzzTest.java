package org.postwarden.ingest.syslog;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import org.postwarden.ingest.parse.LogLine;
import org.postwarden.ingest.parse.LogLineParser;
import org.postwarden.ingest.parse.Timestamps;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fuzzes the syslog decoder with Jazzer, both TCP framings (RFC 6587: octet counting and one message per line) and
 * datagrams (regression mode over {@code SyslogFuzzTestInputs/<method>/} in {@code ./mvnw verify};
 * {@code JAZZER_FUZZ=1} fuzzes, see docs/fuzzing.md). Frames are at most the bound (or reported too long), a bad
 * count is refused with a {@link DecoderException}, and every frame goes the receiver's way: the message taken apart
 * ({@link SyslogMessage}, null when malformed), the parsers, the inner line of a container's message. Nothing
 * else is thrown.
 */
class SyslogFuzzTest {
    static final int MAX = 2048;
    private static final int[] CHUNKS = {1, 7, 3, 256, 2, 1500, 11};
    private final LogLineParser parser = new LogLineParser(MAX,
            new Timestamps(ZoneOffset.UTC, () -> 1_800_000_000_000L));

    /** The bytes as they come on a TCP connection: the decoder picks the framing per frame. */
    @FuzzTest(maxDuration = "5m")
    void lineFramedOrAnyStream(byte[] input) {
        stream(input);
    }

    /**
     * The input cut at each 0x1E byte into messages, each sent octet-counted ({@code LEN SP MSG}), so that the
     * fuzzer explores the messages inside counted frames; a message that starts with a digit and a space keeps its
     * own count.
     */
    @FuzzTest(maxDuration = "5m")
    void octetCountedStream(byte[] input) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int from = 0;
        for (int i = 0; i <= input.length; i++) {
            if (i == input.length || input[i] == 0x1E) {
                byte[] msg = Arrays.copyOfRange(input, from, i);
                out.writeBytes((msg.length + " ").getBytes(StandardCharsets.US_ASCII));
                out.writeBytes(msg);
                from = i + 1;
            }
        }
        stream(out.toByteArray());
    }

    /** One UDP datagram. */
    @FuzzTest(maxDuration = "5m")
    void datagram(byte[] input) {
        message(new String(input, StandardCharsets.UTF_8));
    }

    private void stream(byte[] input) {
        EmbeddedChannel ch = new EmbeddedChannel(new SyslogFrameDecoder(MAX));
        try {
            int at = 0;
            for (int i = 0; at < input.length; i++) {
                int n = Math.min(CHUNKS[i % CHUNKS.length], input.length - at);
                try {
                    ch.writeInbound(Unpooled.wrappedBuffer(Arrays.copyOfRange(input, at, at + n)));
                } catch (DecoderException e) {
                    // a count that is not a number: the connection closes, the rest is discarded
                }
                at += n;
                Object o;
                while ((o = ch.readInbound()) != null) {
                    if (o == SyslogFrameDecoder.TOO_LONG) {
                        continue;
                    }
                    String frame = (String) o;
                    assertTrue(frame.length() <= MAX + 1, "frame beyond the bound: " + frame.length());
                    message(frame);
                }
            }
        } finally {
            ch.finishAndReleaseAll();
        }
    }

    /** What {@code SyslogReceiver.message} does with a frame, without the pipeline. */
    private void message(String text) {
        SyslogMessage m = SyslogMessage.parse(text);
        if (m == null) {
            return;
        }
        assertTrue(m.stamp() != null && m.program() != null && m.message() != null, m::toString);
        parser.parse(m.program(), m.message());
        parser.time(m.stamp());
        LogLine inner = LogLine.parse(m.message());
        if (inner != null) {
            parser.parse(inner.program(), inner.message());
            parser.time(inner.stamp());
        }
    }
}
