package org.postwarden.policy.codec;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;
import org.postwarden.transport.ProtocolException;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PolicyRequestDecoderTest {
    static final PolicyLimits LIMITS = new PolicyLimits(64, 8, 256);

    static EmbeddedChannel channel() {
        return new EmbeddedChannel(new PolicyRequestDecoder(LIMITS));
    }

    static void write(EmbeddedChannel ch, String s) {
        ch.writeInbound(Unpooled.copiedBuffer(s, StandardCharsets.UTF_8));
    }

    @Test
    void decodesRequestsFedOneByteAtATime() {
        EmbeddedChannel ch = channel();
        String two = "request=smtpd_access_policy\nprotocol_state=RCPT\nclient_address=192.0.2.1\n\n"
                + "protocol_state=END-OF-MESSAGE\r\nfuture_attribute=x=y\r\n\r\n";
        for (byte b : two.getBytes(StandardCharsets.UTF_8)) {
            ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {b}));
        }
        PolicyRequest first = ch.readInbound();
        assertEquals("RCPT", first.get("protocol_state"));
        assertEquals("192.0.2.1", first.get("client_address"));
        assertEquals("", first.get("missing"));
        PolicyRequest second = ch.readInbound();
        assertEquals("END-OF-MESSAGE", second.get("protocol_state"));
        assertEquals("x=y", second.get("future_attribute"), "unknown attributes are kept, value may contain '='");
        assertNull(ch.readInbound());
        assertFalse(ch.finish());
    }

    @Test
    void splitsAcrossWritesAndUtf8Values() {
        EmbeddedChannel ch = channel();
        write(ch, "sender=j\u00f6rg@exa");
        assertNull(ch.readInbound());
        write(ch, "mple.org\n");
        write(ch, "\n");
        PolicyRequest r = ch.readInbound();
        assertEquals("j\u00f6rg@example.org", r.get("sender"));
        assertFalse(ch.finish());
    }

    @Test
    void emptyValueAndLastValueWins() {
        EmbeddedChannel ch = channel();
        write(ch, "sasl_username=\nsender=a\nsender=b\n\n");
        PolicyRequest r = ch.readInbound();
        assertEquals("", r.get("sasl_username"));
        assertEquals("b", r.get("sender"));
        assertFalse(ch.finish());
    }

    private static ProtocolException fails(String input) {
        EmbeddedChannel ch = channel();
        Exception e = assertThrows(Exception.class, () -> write(ch, input));
        ProtocolException p = e instanceof ProtocolException pp ? pp
                : assertInstanceOf(ProtocolException.class, e.getCause());
        // after a failure, further input is discarded
        write(ch, "request=x\n\n");
        assertNull(ch.readInbound());
        assertFalse(ch.finish());
        return p;
    }

    @Test
    void overlongLineWithoutNewlineFailsBeforeBuffering() {
        ProtocolException p = fails("x=" + "A".repeat(200));
        assertEquals("line-too-long", p.reason());
        assertTrue(p.sample().length() <= 103);
    }

    @Test
    void overlongLineWithNewlineFails() {
        assertEquals("line-too-long", fails("x=" + "A".repeat(100) + "\n\n").reason());
    }

    @Test
    void tooManyAttributesFails() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 9; i++) {
            sb.append("a").append(i).append("=1\n");
        }
        assertEquals("too-many-attributes", fails(sb.toString()).reason());
    }

    @Test
    void requestTooLargeFails() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 6; i++) {
            sb.append("a=").append("B".repeat(50)).append('\n');
        }
        assertEquals("request-too-large", fails(sb.toString()).reason());
    }

    @Test
    void malformedAndBinaryInputFails() {
        assertEquals("malformed-line", fails("no equals sign\n").reason());
        assertEquals("malformed-line", fails("=value\n").reason());
        assertEquals("malformed-line", fails("\n").reason());
        ProtocolException bin = fails("a=\u0000\u0001\u0002\n");
        assertEquals("binary", bin.reason());
        assertTrue(bin.sample().contains("\\x00"), bin.sample());
        assertEquals("malformed-line", fails("GET / HTTP/1.1\r\nHost: x\r\n").reason(), "an HTTP client");
        assertEquals("binary", fails("a=\u0016\u0003\u0001\n").reason(), "a TLS client hello");
    }

    @Test
    void replyEncoderNeverEmitsASecondLine() {
        EmbeddedChannel ch = new EmbeddedChannel(new PolicyReplyEncoder());
        ch.writeOutbound(new PolicyReply("450 4.7.1 evil\r\naction=OK"));
        io.netty.buffer.ByteBuf out = ch.readOutbound();
        String s = out.toString(StandardCharsets.UTF_8);
        out.release();
        assertEquals("action=450 4.7.1 evil  action=OK\n\n", s);
        ch.writeOutbound(new PolicyReply("DUNNO"));
        io.netty.buffer.ByteBuf o2 = ch.readOutbound();
        assertEquals("action=DUNNO\n\n", o2.toString(StandardCharsets.UTF_8));
        o2.release();
        assertFalse(ch.finish());
    }
}
