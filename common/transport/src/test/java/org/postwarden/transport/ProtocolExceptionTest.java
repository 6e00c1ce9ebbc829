package org.postwarden.transport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.DecoderException;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

class ProtocolExceptionTest {

    @Test
    void carriesReasonMessageAndAnEscapedSample() {
        ProtocolException e = new ProtocolException("binary", "control character 0x0 in request",
                "a=\u0000\u0001\\\u00ff".getBytes(StandardCharsets.ISO_8859_1), 100);
        assertEquals("binary", e.reason());
        assertEquals("control character 0x0 in request", e.getMessage());
        assertEquals("a=\\x00\\x01\\\\\\xFF", e.sample(), "control and non-ASCII bytes as \\xHH, backslash doubled");
        assertInstanceOf(DecoderException.class, e, "Netty passes it on from decoders");
    }

    @Test
    void theSampleIsBoundedInBytesAndInCharacters() {
        byte[] long0 = "x".repeat(1000).getBytes(StandardCharsets.US_ASCII);
        assertEquals("x".repeat(64), new ProtocolException("r", "m", long0, 64).sample(), "64 bytes, no more");
        assertEquals("\\x00".repeat(16) + "...", new ProtocolException("r", "m", new byte[50], 64).sample(),
                "escaping counts towards the bound");
    }

    @Test
    void aBufferSampleReadsByIndexAndStopsAtTheEndOfTheBuffer() {
        ByteBuf in = Unpooled.copiedBuffer("skip:GET / HTTP/1.1\r\n", StandardCharsets.US_ASCII);
        ProtocolException e = new ProtocolException("malformed-line", "line is not name=value", in, 5, 100, 100);
        assertEquals("GET / HTTP/1.1\\x0D\\x0A", e.sample());
        assertEquals(0, in.readerIndex(), "the reader index is not moved");
        assertEquals("GET", new ProtocolException("r", "m", in, 5, 3, 100).sample());
        assertEquals("", new ProtocolException("r", "m", in, in.writerIndex(), 16, 100).sample());
        in.release();
    }

    @Test
    void withoutASampleItIsEmpty() {
        ProtocolException e = new ProtocolException("unknown-command", "unknown command code 0x5a");
        assertEquals("", e.sample());
        assertEquals("unknown-command", e.reason());
    }
}
