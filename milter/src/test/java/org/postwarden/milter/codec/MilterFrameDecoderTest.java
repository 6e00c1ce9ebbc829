package org.postwarden.milter.codec;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;
import org.nightcode.milter.codec.MilterPacket;
import org.nightcode.milter.codec.MilterPacketDecoder;
import org.postwarden.transport.ProtocolException;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MilterFrameDecoderTest {
    static final int MAX = 1024;

    static EmbeddedChannel channel() {
        return new EmbeddedChannel(new MilterFrameDecoder(MAX), new MilterPacketDecoder());
    }

    static byte[] packet(char cmd, String payload) {
        byte[] p = payload.getBytes(StandardCharsets.ISO_8859_1);
        ByteBuf b = Unpooled.buffer();
        b.writeInt(p.length + 1).writeByte(cmd).writeBytes(p);
        byte[] out = new byte[b.readableBytes()];
        b.readBytes(out);
        return out;
    }

    static byte[] concat(byte[]... parts) {
        ByteBuf b = Unpooled.buffer();
        for (byte[] p : parts) {
            b.writeBytes(p);
        }
        byte[] out = new byte[b.readableBytes()];
        b.readBytes(out);
        return out;
    }

    @Test
    void packetsFedOneByteAtATimeComeOutWhole() {
        EmbeddedChannel ch = channel();
        byte[] bytes = concat(packet('H', "mail.example.org\0"), packet('Q', ""), packet('M', "<a@b.example>\0"));
        for (byte b : bytes) {
            ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {b}));
        }
        MilterPacket helo = ch.readInbound();
        assertEquals('H', helo.command());
        assertArrayEquals("mail.example.org\0".getBytes(StandardCharsets.US_ASCII), helo.payload());
        MilterPacket quit = ch.readInbound();
        assertEquals('Q', quit.command());
        assertEquals(0, quit.payload().length);
        MilterPacket mail = ch.readInbound();
        assertEquals('M', mail.command());
        assertNull(ch.readInbound());
        assertFalse(ch.finish());
    }

    @Test
    void aHostileLengthPrefixFailsBeforeAnyPayloadIsBuffered() {
        EmbeddedChannel ch = channel();
        ByteBuf prefix = Unpooled.buffer().writeInt(Integer.MAX_VALUE);
        ProtocolException e = assertThrows(ProtocolException.class, () -> ch.writeInbound(prefix));
        assertEquals("packet-too-large", e.reason());
        assertTrue(e.getMessage().contains("2147483647"), e.getMessage());
        // whatever follows is discarded, not decoded
        ch.writeInbound(Unpooled.wrappedBuffer(packet('Q', "")));
        assertNull(ch.readInbound());
        assertFalse(ch.finish());
    }

    @Test
    void unsignedLengthAboveTwoGigabytesIsTooLargeToo() {
        EmbeddedChannel ch = channel();
        ByteBuf prefix = Unpooled.wrappedBuffer(new byte[] {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xF0, 'C'});
        assertEquals("packet-too-large",
                assertThrows(ProtocolException.class, () -> ch.writeInbound(prefix)).reason());
        assertFalse(ch.finish());
    }

    @Test
    void theLimitIsInclusive() {
        EmbeddedChannel ch = channel();
        ch.writeInbound(Unpooled.wrappedBuffer(packet('B', "x".repeat(MAX - 1))));
        MilterPacket body = ch.readInbound();
        assertEquals(MAX - 1, body.payload().length);
        assertEquals("packet-too-large", assertThrows(ProtocolException.class,
                () -> ch.writeInbound(Unpooled.wrappedBuffer(packet('B', "x".repeat(MAX)))), "one byte more").reason());
        assertFalse(ch.finish());
    }

    @Test
    void anEmptyPacketIsRefused() {
        EmbeddedChannel ch = channel();
        assertEquals("empty-packet", assertThrows(ProtocolException.class,
                () -> ch.writeInbound(Unpooled.buffer().writeInt(0))).reason());
        assertFalse(ch.finish());
    }

    @Test
    void aTruncatedPacketYieldsNothingWhenTheConnectionEnds() {
        EmbeddedChannel ch = channel();
        byte[] p = packet('H', "mail.example.org\0");
        ch.writeInbound(Unpooled.wrappedBuffer(p, 0, p.length - 3));
        assertNull(ch.readInbound());
        assertFalse(ch.finish(), "an incomplete packet is dropped, not emitted");
    }

    @Test
    void aTruncatedLengthPrefixYieldsNothing() {
        EmbeddedChannel ch = channel();
        ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {0, 0}));
        assertNull(ch.readInbound());
        assertFalse(ch.finish());
    }
}
