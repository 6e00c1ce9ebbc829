package org.postwarden.ingest.syslog;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.CorruptedFrameException;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** RFC 6587 framing fed one byte at a time. */
class SyslogFrameDecoderTest {

    static void feedBytewise(EmbeddedChannel ch, String s) {
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {b}));
        }
    }

    @Test
    void octetCountedAndNewlineFramesOneByteAtATime() {
        EmbeddedChannel ch = new EmbeddedChannel(new SyslogFrameDecoder(64));
        feedBytewise(ch, "5 <1>ab<2>line one\r\n\n7 <3>xyz <4>two\n");
        assertEquals("<1>ab", ch.readInbound());
        assertEquals("<2>line one", ch.readInbound());
        assertEquals("<3>xyz ", ch.readInbound());
        assertEquals("<4>two", ch.readInbound());
        assertNull(ch.readInbound());
        assertFalse(ch.finish());
    }

    @Test
    void oversizedFramesAreSkippedAndReported() {
        EmbeddedChannel ch = new EmbeddedChannel(new SyslogFrameDecoder(16));
        feedBytewise(ch, "20 " + "x".repeat(20) + "y".repeat(40) + "\n<5>ok\n");
        assertSame(SyslogFrameDecoder.TOO_LONG, ch.readInbound());
        assertSame(SyslogFrameDecoder.TOO_LONG, ch.readInbound());
        assertEquals("<5>ok", ch.readInbound());
        assertFalse(ch.finish());
    }

    @Test
    void aBadCountIsAProtocolError() {
        EmbeddedChannel ch = new EmbeddedChannel(new SyslogFrameDecoder(64));
        assertThrows(CorruptedFrameException.class,
                () -> ch.writeInbound(Unpooled.copiedBuffer("12a <1>x", StandardCharsets.UTF_8)));
        assertNull(ch.readInbound(), "what follows is dropped: the framing is lost");
        EmbeddedChannel other = new EmbeddedChannel(new SyslogFrameDecoder(64));
        assertThrows(CorruptedFrameException.class,
                () -> other.writeInbound(Unpooled.copiedBuffer("123456789 x", StandardCharsets.UTF_8)),
                "too many digits");
    }
}
