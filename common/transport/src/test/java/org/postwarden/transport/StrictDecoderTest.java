package org.postwarden.transport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.DecoderException;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

class StrictDecoderTest {

    /** One byte a frame; '!' is refused with a protocol error, '?' with a framing error. */
    static final class Bytes extends StrictDecoder {
        int calls;

        @Override
        protected void decodeStrictly(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
            calls++;
            while (in.isReadable()) {
                byte b = in.getByte(in.readerIndex());
                if (b == '!') {
                    throw new ProtocolException("bang", "a bang", in, in.readerIndex(), 4, 16);
                }
                if (b == '?') {
                    throw new CorruptedFrameException("a question");
                }
                out.add((char) in.readByte());
            }
        }
    }

    static ByteBuf ascii(String s) {
        return Unpooled.copiedBuffer(s, StandardCharsets.US_ASCII);
    }

    @Test
    void framesBeforeTheErrorGoOnTheErrorOnceAndNothingAfterIt() {
        Bytes d = new Bytes();
        EmbeddedChannel ch = new EmbeddedChannel(d);
        ProtocolException e = assertThrows(ProtocolException.class, () -> ch.writeInbound(ascii("ab!cd")));
        assertEquals("!cd", e.sample(), "the sample is read before the input is discarded");
        assertEquals('a', (char) ch.readInbound());
        assertEquals('b', (char) ch.readInbound());
        assertNull(ch.readInbound(), "nothing after the error");
        int calls = d.calls;
        ch.writeInbound(ascii("efg"));
        assertNull(ch.readInbound(), "later input is discarded unread");
        assertEquals(calls, d.calls, "and never reaches the protocol's decoder");
        assertFalse(ch.finish());
    }

    @Test
    void aFramingErrorStopsItToo() {
        EmbeddedChannel ch = new EmbeddedChannel(new Bytes());
        assertThrows(DecoderException.class, () -> ch.writeInbound(ascii("x?y")));
        assertEquals('x', (char) ch.readInbound());
        ch.writeInbound(ascii("z"));
        assertNull(ch.readInbound());
        assertFalse(ch.finish());
    }
}
