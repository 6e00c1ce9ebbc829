package org.postwarden.model;

import org.junit.jupiter.api.Test;

import java.net.Inet6Address;
import java.net.InetAddress;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** RFC 5952's canonical text, as Postfix writes addresses in its log. */
class AddressesTest {

    private static String canonical(String in) {
        return Addresses.format(Cidr.parseAddress(in));
    }

    @Test
    void ipv6IsPrintedInTheCanonicalForm() {
        assertEquals("2001:db8:77::22", canonical("2001:db8:77:0:0:0:0:22"), "the longest zero run is ::");
        assertEquals("2001:db8::1", canonical("2001:0DB8:0000:0000:0000:0000:0000:0001"), "lower case, no zeros");
        assertEquals("2001:db8:0:1:1:1:1:1", canonical("2001:db8::1:1:1:1:1"), "one zero group is not ::");
        assertEquals("2001:db8::1:0:0:1", canonical("2001:db8:0:0:1:0:0:1"), "the first of equal runs");
        assertEquals("2001:0:0:1::1", canonical("2001:0:0:1:0:0:0:1"), "the longest run, not the first");
        assertEquals("::1", canonical("0:0:0:0:0:0:0:1"));
        assertEquals("::", canonical("0:0:0:0:0:0:0:0"));
        assertEquals("fe80::", canonical("fe80:0:0:0:0:0:0:0"), "a run at the end");
        assertEquals("2001:db8:aaaa:bbbb:cccc:dddd:eeee:1", canonical("2001:DB8:AAAA:BBBB:CCCC:DDDD:EEEE:0001"));
        assertEquals("::c000:201", canonical("::192.0.2.1"), "IPv4-compatible: plain hex");
    }

    @Test
    void ipv4AndMappedAddresses() throws Exception {
        assertEquals("192.0.2.1", canonical("192.0.2.1"));
        byte[] mapped = new byte[16];
        mapped[10] = (byte) 0xFF;
        mapped[11] = (byte) 0xFF;
        mapped[12] = (byte) 192;
        mapped[15] = 1;
        InetAddress m = Inet6Address.getByAddress(null, mapped, -1);
        assertEquals("::ffff:192.0.0.1", Addresses.format(m), "RFC 5952 section 5");
        assertEquals("-", Addresses.format((InetAddress) null));
    }

    @Test
    void everyInputFormGivesTheSameOutput() {
        for (String in : new String[] {"2001:db8:77::22", "2001:DB8:77::22", "2001:0db8:0077:0000:0000:0000:0000:0022",
            "[2001:db8:77::22]", "IPv6:2001:db8:77::22", "2001:db8:77:0::0:22"}) {
            assertEquals("2001:db8:77::22", canonical(in), in);
        }
    }

    @Test
    void networksAndKeysUseIt() {
        assertEquals("2001:db8:77::/48", Cidr.parse("2001:db8:77:0:0:0:0:22/48").toString());
        InetAddress a = Cidr.parseAddress("2001:db8:77:0:0:0:0:22");
        assertEquals("2001:db8:77::/64", ClientKey.of(a, KeyLevel.SUBNET, 48).cidr());
        assertEquals("2001:db8:77::22/128", ClientKey.of(a, KeyLevel.HOST, 48).cidr());
        assertEquals("2001:db8:77::22#25", MailEvent.builder(SmtpStage.CONNECT).client(a).clientPort(25).build()
                .connectionId());
    }

    @Test
    void longFormsInOldKeysAreRewritten() {
        assertEquals("2001:db8:7::/48", Addresses.canonicalText("2001:db8:7:0:0:0:0:0/48"));
        assertEquals("client:2001:db8::5 x 2001:db8:1:2:3:4:5:6",
                Addresses.canonicalText("client:2001:db8:0:0:0:0:0:5 x 2001:db8:1:2:3:4:5:6"));
        assertEquals("alice@example.org", Addresses.canonicalText("alice@example.org"));
        assertEquals("192.0.2.0/24|a:b", Addresses.canonicalText("192.0.2.0/24|a:b"));
    }

    @Test
    void socketAddressesPutIpv6InBrackets() throws Exception {
        assertEquals("192.0.2.1:25", Addresses.format(new java.net.InetSocketAddress(Cidr.parseAddress("192.0.2.1"), 25)));
        assertEquals("[::1]:10033", Addresses.format(new java.net.InetSocketAddress(Cidr.parseAddress("::1"), 10033)));
        assertEquals("mx.example:25", Addresses.format(java.net.InetSocketAddress.createUnresolved("mx.example", 25)));
        assertEquals("null", Addresses.format((java.net.SocketAddress) null));
    }
}
