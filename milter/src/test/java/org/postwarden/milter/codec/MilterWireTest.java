package org.postwarden.milter.codec;

import org.junit.jupiter.api.Test;
import org.nightcode.milter.codec.MilterPacket;
import org.postwarden.transport.ProtocolException;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MilterWireTest {
    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    static String s(byte[] b) {
        return new String(b, StandardCharsets.ISO_8859_1);
    }

    @Test
    void connectIpv4AndIpv6KeepTheAddressAsText() {
        MilterWire.Connect v4 = MilterWire.connect(b("mx.example.org\0004\u00c3\u0050192.0.2.1\0"));
        assertEquals("mx.example.org", v4.hostname());
        assertEquals('4', v4.family());
        assertEquals(0xC350, v4.port());
        assertEquals("192.0.2.1", v4.address());
        MilterWire.Connect v6 = MilterWire.connect(b("[2001:db8::1]\0006\u0004\u00002001:db8::1\0"));
        assertEquals('6', v6.family());
        assertEquals(1024, v6.port());
        assertEquals("2001:db8::1", v6.address(), "jmilter's parser gives no address for IPv6; ours does");
        MilterWire.Connect unknown = MilterWire.connect(b("localhost\0U"));
        assertEquals(-1, unknown.port());
        assertEquals("", unknown.address());
    }

    @Test
    void malformedConnectsAreProtocolErrorsNotIndexErrors() {
        for (String bad : new String[] {"", "no-nul", "host\0", "host\0004", "host\0004\u0001",
            "host\0004\u0001\u0002x", "host\0Z"}) {
            ProtocolException e = assertThrows(ProtocolException.class, () -> MilterWire.connect(b(bad)),
                    bad);
            assertEquals("malformed-packet", e.reason());
        }
    }

    @Test
    void macrosPairUpAndAreBounded() {
        MilterWire.Macros m = MilterWire.macros(b("C{client_addr}\000192.0.2.1\0{client_port}\00050000\0j\0\0"));
        assertEquals('C', m.command());
        assertEquals(Map.of("{client_addr}", "192.0.2.1", "{client_port}", "50000", "j", ""), m.values());
        assertEquals("malformed-packet", assertThrows(ProtocolException.class,
                () -> MilterWire.macros(b("Cname-without-value\0"))).reason());
        assertEquals("malformed-packet", assertThrows(ProtocolException.class,
                () -> MilterWire.macros(new byte[0])).reason());
        StringBuilder many = new StringBuilder("C");
        for (int i = 0; i < 1000; i++) {
            many.append("m").append(i).append("\0v\0");
        }
        assertEquals("malformed-packet", assertThrows(ProtocolException.class,
                () -> MilterWire.macros(b(many.toString()))).reason(), "a flood of macros is refused");
    }

    @Test
    void headersAndStrings() {
        MilterWire.Header h = MilterWire.header(b("Subject\0hello world\0"));
        assertEquals("Subject", h.name());
        assertEquals("hello world", h.value());
        assertThrows(ProtocolException.class, () -> MilterWire.header(b("Subject\0no-terminator")));
        assertEquals("<a@b.example>", MilterWire.firstString(b("<a@b.example>\0SIZE=100\0")));
        assertThrows(ProtocolException.class, () -> MilterWire.firstString(b("<a@b.example>")));
    }

    @Test
    void optnegNeedsTwelveBytes() {
        MilterWire.Optneg o = MilterWire.optneg(new byte[] {0, 0, 0, 6, 0, 0, 1, (byte) 0xFF, 0, 0x1F, (byte) 0xFF,
            (byte) 0xFF});
        assertEquals(6, o.version());
        assertEquals(0x1FF, o.actions());
        assertEquals(0x1FFFFF, o.steps());
        assertThrows(ProtocolException.class, () -> MilterWire.optneg(new byte[11]));
    }

    @Test
    void replyTextsCannotBreakTheReplyLine() {
        MilterPacket p = MilterWire.replyCode("550", "5.7.1", "banned\r\n250 OK 100% sure \u00e9");
        assertEquals('y', p.command());
        String text = s(p.payload());
        assertEquals("550 5.7.1 banned  250 OK 100%% sure ?\0", text, "no CR/LF, '%' doubled for Postfix, ASCII");
        MilterPacket h = MilterWire.addHeader("X-Test", "a\nb");
        assertEquals("X-Test\0a b\0", s(h.payload()));
        MilterPacket q = MilterWire.quarantine("held");
        assertEquals('q', q.command());
        assertEquals("held\0", s(q.payload()));
        assertTrue(MilterWire.replyCode("450", "4.7.1", "x".repeat(5000)).payload().length < 1000, "bounded");
        assertFalse(s(MilterWire.addHeader("X", "y".repeat(5000)).payload()).length() > 1000);
    }
}
