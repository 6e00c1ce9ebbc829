package org.postwarden.dnsbl;

import org.junit.jupiter.api.Test;
import org.postwarden.dnsbl.zone.CodeFilter;
import org.postwarden.dnsbl.zone.DnsblZone;
import org.postwarden.dnsbl.zone.DnsblZoneParser;
import org.postwarden.dnsbl.zone.ZoneKind;
import org.postwarden.model.Cidr;

import java.net.Inet4Address;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Zone syntax (postscreen's), return-code filters, query names and result filtering: golden cases. */
class DnsblSyntaxTest {

    static Inet4Address a(String s) {
        return (Inet4Address) Cidr.parseAddress(s);
    }

    @Test
    void plainDomainHasWeightOneAndNoFilter() {
        DnsblZone z = DnsblZoneParser.parse("zen.spamhaus.org", ZoneKind.CLIENT_IP);
        assertEquals("zen.spamhaus.org", z.domain());
        assertNull(z.filter());
        assertEquals(1.0, z.weight());
        assertEquals(ZoneKind.CLIENT_IP, z.kind());
        assertTrue(z.matches(List.of(a("127.0.0.2"))));
        assertFalse(z.matches(List.of()), "no code, no listing");
    }

    @Test
    void filterAndWeightAsPostscreenWritesThem() {
        DnsblZone z = DnsblZoneParser.parse("zen.spamhaus.org=127.0.0.[10;11]*8", ZoneKind.CLIENT_IP);
        assertEquals(8.0, z.weight());
        assertEquals("127.0.0.[10;11]", z.filter().toString());
        assertTrue(z.matches(List.of(a("127.0.0.10"))));
        assertTrue(z.matches(List.of(a("127.0.0.2"), a("127.0.0.11"))), "any code may match");
        assertFalse(z.matches(List.of(a("127.0.0.12"))));
        assertFalse(z.matches(List.of(a("127.0.1.10"))));
    }

    @Test
    void negativeWeightRangesInTwoOctetsMakeAnAllowlist() {
        DnsblZone z = DnsblZoneParser.parse("list.dnswl.org=127.0.[0..255].[1..3]*-5", ZoneKind.CLIENT_IP);
        assertEquals(-5.0, z.weight());
        assertTrue(z.allowlist());
        assertTrue(z.matches(List.of(a("127.0.10.1"))));
        assertTrue(z.matches(List.of(a("127.0.255.3"))));
        assertFalse(z.matches(List.of(a("127.0.10.0"))), "trust 0 is outside [1..3]");
        assertFalse(z.matches(List.of(a("127.0.0.255"))), "dnswl's over-quota code does not match");
    }

    @Test
    void mixedListsDecimalWeightsUpperCaseAndTrailingDot() {
        DnsblZone z = DnsblZoneParser.parse(" BL.Example.ORG.=127.0.0.[2;4..7;10]*2.5 ", ZoneKind.RHSBL_SENDER);
        assertEquals("bl.example.org", z.domain());
        assertEquals(2.5, z.weight());
        for (String hit : List.of("127.0.0.2", "127.0.0.4", "127.0.0.7", "127.0.0.10")) {
            assertTrue(z.matches(List.of(a(hit))), hit);
        }
        for (String miss : List.of("127.0.0.3", "127.0.0.8", "127.0.0.11")) {
            assertFalse(z.matches(List.of(a(miss))), miss);
        }
        assertEquals("BL.Example.ORG.=127.0.0.[2;4..7;10]*2.5", z.spec());
    }

    @Test
    void weightWithoutFilterAndFilterWithoutWeight() {
        assertEquals(-4.0, DnsblZoneParser.parse("swl.spamhaus.org*-4", ZoneKind.CLIENT_IP).weight());
        DnsblZone z = DnsblZoneParser.parse("bl.spamcop.net=127.0.0.2", ZoneKind.CLIENT_IP);
        assertEquals(1.0, z.weight());
        assertTrue(z.matches(List.of(a("127.0.0.2"))));
    }

    @Test
    void badEntriesSayWhatIsWrongAndWhatIsExpected() {
        record Bad(String spec, String expect) {
        }
        for (Bad b : List.of(
                new Bad("", "empty zone"),
                new Bad("localhost", "at least two labels"),
                new Bad("zen.spamhaus.org*x", "weight \"x\" is not a number"),
                new Bad("zen.spamhaus.org*2000", "out of range"),
                new Bad("zen.spamhaus.org=127.0.0", "only 3 of 4 octets"),
                new Bad("zen.spamhaus.org=127.0.0.256", "not a number from 0 to 255"),
                new Bad("zen.spamhaus.org=127.0.0.[5..2]", "runs backwards"),
                new Bad("zen.spamhaus.org=127.0.0.[2", "'[' without ']'"),
                new Bad("zen.spamhaus.org=127.0.0.[]", "empty []"),
                new Bad("zen.spamhaus.org=127.0.0.2.9", "unexpected text"),
                new Bad("zen..spamhaus.org", "not a valid domain"),
                new Bad("-bad.example.org", "not a valid domain"),
                new Bad("abcdefghijklmnopqrstuvwxyz.zen.dq.spamhaus.net", "key written into its name"))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> DnsblZoneParser.parse(b.spec, ZoneKind.CLIENT_IP), b.spec);
            assertTrue(e.getMessage().contains(b.expect), b.spec + " -> " + e.getMessage());
            assertTrue(e.getMessage().contains("expected"), "names the expectation: " + e.getMessage());
            assertFalse(e.getMessage().contains("abcdefghijklmnopqrstuvwxyz"), "never echoes a key");
        }
    }

    @Test
    void dqsZonesAreRecognisedAndKeyedOnlyInQueryNames() {
        assertTrue(DnsblZoneParser.isDqs("zen.dq.spamhaus.net"));
        assertFalse(DnsblZoneParser.isDqs("zen.spamhaus.org"));
        assertTrue(DnsblZoneParser.embedsDqsKey("abcdefghijklmnopqrstuvwxyz.zen.dq.spamhaus.net=127.0.0.2*5"));
        assertFalse(DnsblZoneParser.embedsDqsKey("zen.dq.spamhaus.net=127.0.0.2*5"));
    }

    @Test
    void ipv4QueryNamesReverseTheOctets() {
        assertEquals("1.2.0.192.zen.spamhaus.org",
                QueryNames.forAddress(Cidr.parseAddress("192.0.2.1"), "zen.spamhaus.org"));
        assertEquals("2.0.0.127", QueryNames.reversed(Cidr.parseAddress("127.0.0.2")));
        assertEquals("255.0.0.10", QueryNames.reversed(Cidr.parseAddress("10.0.0.255")));
    }

    @Test
    void ipv6QueryNamesAre32ReversedNibbles() {
        // RFC 5782 section 2.4's example.
        assertEquals("b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.8.b.d.0.1.0.0.2",
                QueryNames.reversed(Cidr.parseAddress("2001:db8:1:2:3:4:567:89ab")));
        String loop = QueryNames.reversed(Cidr.parseAddress("::1"));
        assertEquals(63, loop.length());
        assertTrue(loop.startsWith("1.0.0.0."));
        assertEquals(32, loop.split("\\.").length);
        assertEquals("2.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.bl.test",
                QueryNames.forAddress(Cidr.parseAddress("2001:db8::22"), "bl.test"));
    }

    @Test
    void ipv4MappedIpv6IsQueriedAsIpv4() {
        assertEquals("1.2.0.192", QueryNames.reversed(Cidr.parseAddress("::ffff:192.0.2.1")));
    }

    @Test
    void onlyPlainHostNamesBecomeRhsblTargets() {
        assertEquals("mail.example.com", QueryNames.normalizeDomain("Mail.Example.COM."));
        assertEquals("a-b_c.example", QueryNames.normalizeDomain("a-b_c.example"));
        for (String bad : new String[] {null, "", "localhost", "[192.0.2.1]", "192.0.2.1", "-x.example",
            "x-.example", "a..b", "caf\u00e9.example", "a b.example", "x.example;rm", "a".repeat(64) + ".example"}) {
            assertNull(QueryNames.normalizeDomain(bad), String.valueOf(bad));
        }
        assertNull(QueryNames.forDomain("a".repeat(63) + "." + "b".repeat(63) + "." + "c".repeat(63),
                "d".repeat(60) + ".test"), "too long for a DNS name");
    }

    @Test
    void eventKeysMatchOnAddressHeloAndSenderDomainIgnoringItsCaseAndLocalPart() {
        java.net.InetAddress ip = Cidr.parseAddress("192.0.2.1");
        EventKey k = new EventKey(ip, "mx.example.org", "alice@Sender.Example");
        assertEquals(k, new EventKey(ip, "mx.example.org", "bob+x@sender.EXAMPLE"));
        assertEquals(k.hashCode(), new EventKey(ip, "mx.example.org", "bob+x@sender.EXAMPLE").hashCode());
        assertEquals("Sender.Example", k.senderDomain());
        assertFalse(k.equals(new EventKey(ip, "mx2.example.org", "alice@sender.example")));
        assertFalse(k.equals(new EventKey(Cidr.parseAddress("192.0.2.2"), "mx.example.org", "alice@sender.example")));
        assertFalse(k.equals(new EventKey(ip, "mx.example.org", "alice@sender.example.net")));
        assertFalse(k.equals(new EventKey(ip, "mx.example.org", null)));
        assertEquals(new EventKey(null, null, null), new EventKey(null, null, null));
        assertEquals("postmaster", new EventKey(ip, null, "postmaster").senderDomain(), "no @: the whole address");
    }

    @Test
    void codeFiltersCompareByValue() {
        assertEquals(CodeFilter.parse("127.0.0.[2..3]"), CodeFilter.parse("127.0.0.[2;3]"));
        assertFalse(CodeFilter.parse("127.0.0.2").equals(CodeFilter.parse("127.0.0.3")));
        assertEquals(CodeFilter.parse("127.0.0.[2..3]").hashCode(), CodeFilter.parse("127.0.0.[3;2]").hashCode());
    }
}
