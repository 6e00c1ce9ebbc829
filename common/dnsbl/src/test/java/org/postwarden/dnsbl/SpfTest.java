package org.postwarden.dnsbl;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.postwarden.model.Cidr;

import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * SPF records parsed and walked to the networks they authorize (RFC 7208), against recorded answers
 * ({@link ZoneResolver}): every mechanism the walk evaluates, first match wins, the limits of 10 DNS-querying terms and
 * 2 void lookups, and what makes a policy unusable.
 */
class SpfTest {
    final ZoneResolver dns = new ZoneResolver();
    final ExecutorService executor = Executors.newFixedThreadPool(2);

    @AfterEach
    void stop() {
        executor.shutdownNow();
    }

    SpfPolicy walk(String domain) throws Exception {
        return new SpfWalker(dns, executor).walk(domain).get(10, TimeUnit.SECONDS);
    }

    static java.net.InetAddress ip(String s) {
        return Cidr.parseAddress(s);
    }

    @Test
    void theParserReadsEveryMechanismQualifierAndCidrLength() {
        SpfRecord r = SpfRecord.parse("v=spf1 ip4:192.0.2.0/24 -ip6:2001:db8::/32 a ~a:mail.example.org/28//64 "
                + "mx:example.org/24 ?include:_spf.example.net ptr exists:%{i}.x.example.org exp=why.example.org "
                + "unknown-mod=1 -all");
        List<SpfRecord.Mechanism> m = r.mechanisms();
        assertEquals(9, m.size());
        assertEquals(new SpfRecord.Mechanism('+', SpfRecord.Kind.IP4, null, false, Cidr.parse("192.0.2.0/24"), 32,
                128), m.get(0));
        assertEquals('-', m.get(1).qualifier());
        assertEquals(Cidr.parse("2001:db8::/32"), m.get(1).network());
        assertEquals(new SpfRecord.Mechanism('+', SpfRecord.Kind.A, null, false, null, 32, 128), m.get(2));
        assertEquals(new SpfRecord.Mechanism('~', SpfRecord.Kind.A, "mail.example.org", false, null, 28, 64),
                m.get(3));
        assertEquals(24, m.get(4).cidr4());
        assertEquals(new SpfRecord.Mechanism('?', SpfRecord.Kind.INCLUDE, "_spf.example.net", false, null, 32, 128),
                m.get(5));
        assertEquals(SpfRecord.Kind.PTR, m.get(6).kind());
        assertTrue(m.get(7).macro());
        assertEquals(SpfRecord.Kind.ALL, m.get(8).kind());
        assertNull(r.redirect());
        assertEquals("_spf.google.com", SpfRecord.parse("v=spf1 redirect=_spf.google.com").redirect());
    }

    @Test
    void brokenRecordsArePermErrors() {
        for (String bad : List.of("v=spf1 ip4:300.1.1.1", "v=spf1 ip4:2001:db8::/32", "v=spf1 include",
                "v=spf1 foo:bar", "v=spf1 a/33", "v=spf1 redirect=a.example redirect=b.example", "v=spf1 all:x",
                "v=spf1 a:bad..name")) {
            assertThrows(IllegalArgumentException.class, () -> SpfRecord.parse(bad), bad);
        }
        assertFalse(SpfRecord.isSpf("v=spf10 -all"));
        assertTrue(SpfRecord.isSpf("V=SPF1"));
    }

    @Test
    void ip4Ip6AndAllWithTheFirstMatchDeciding() throws Exception {
        dns.spf("pool.test", "v=spf1 -ip4:127.0.0.9 ip4:127.0.0.0/24 ip6:2001:db8:1::/48 ~all");
        SpfPolicy p = walk("pool.test");
        assertEquals(SpfPolicy.Status.OK, p.status());
        assertTrue(p.passes(ip("127.0.0.1")));
        assertTrue(p.passes(ip("2001:db8:1::25")));
        assertFalse(p.passes(ip("127.0.0.9")), "an earlier -ip4 wins over a later ip4");
        assertFalse(p.passes(ip("198.51.100.1")), "~all is a softfail, not a pass");
    }

    @Test
    void aAndMxResolveToTheirAddressesWithCidrLengths() throws Exception {
        dns.spf("example.test", "v=spf1 a mx/24 a:relay.example.test//64 -all")
                .add("example.test", 300, "A", "192.0.2.10")
                .add("example.test", 300, "MX", "10 mx1.example.test.")
                .add("example.test", 300, "MX", "20 mx2.example.test.")
                .add("mx1.example.test", 300, "A", "198.51.100.25")
                .add("mx2.example.test", 300, "AAAA", "2001:db8:2::25")
                .add("relay.example.test", 300, "AAAA", "2001:db8:3::1");
        SpfPolicy p = walk("example.test");
        assertEquals(SpfPolicy.Status.OK, p.status(), p.detail());
        assertTrue(p.passes(ip("192.0.2.10")));
        assertFalse(p.passes(ip("192.0.2.11")), "a: the address itself (/32)");
        assertTrue(p.passes(ip("198.51.100.200")), "mx/24: the exchanger's /24");
        assertTrue(p.passes(ip("2001:db8:2::25")), "mx: IPv6 exchangers at /128");
        assertFalse(p.passes(ip("2001:db8:2::26")));
        assertTrue(p.passes(ip("2001:db8:3::ffff")), "a://64");
    }

    @Test
    void includeAndRedirectAreWalkedAsGmailDoes() throws Exception {
        dns.spf("gmail.test", "v=spf1 redirect=_spf.google.test")
                .spf("_spf.google.test", "v=spf1 include:_netblocks.google.test include:_netblocks2.google.test ~all")
                .spf("_netblocks.google.test", "v=spf1 ip4:209.85.128.0/17 ip4:74.125.0.0/16 ~all")
                .spf("_netblocks2.google.test", "v=spf1 ip6:2a00:1450:4000::/36 ~all");
        SpfPolicy p = walk("gmail.test");
        assertEquals(SpfPolicy.Status.OK, p.status(), p.detail());
        assertTrue(p.passes(ip("209.85.220.41")));
        assertTrue(p.passes(ip("74.125.1.2")));
        assertTrue(p.passes(ip("2a00:1450:4864:20::52a")));
        assertFalse(p.passes(ip("198.51.100.1")));
        assertTrue(p.redirect() != null);
    }

    @Test
    void anIncludeThatDoesNotPassDoesNotMatchAndRedirectIsIgnoredWithAll() throws Exception {
        dns.spf("a.test", "v=spf1 include:b.test ip4:192.0.2.0/24 -all redirect=c.test")
                .spf("b.test", "v=spf1 -ip4:192.0.2.7 -all")
                .spf("c.test", "v=spf1 +all");
        SpfPolicy p = walk("a.test");
        assertEquals(SpfPolicy.Status.OK, p.status(), p.detail());
        assertTrue(p.passes(ip("192.0.2.7")), "the include fails for .7: no match, the next mechanism passes it");
        assertFalse(p.passes(ip("198.51.100.1")), "-all; redirect= is ignored when the record has all");
        assertNull(p.redirect());
    }

    @Test
    void opaqueMechanismsAreNeverPassedThrough() throws Exception {
        dns.spf("opaque.test", "v=spf1 ip4:192.0.2.1 exists:%{i}.bl.example ip4:192.0.2.2 ptr -all");
        SpfPolicy p = walk("opaque.test");
        assertTrue(p.passes(ip("192.0.2.1")), "matched before the macro");
        assertFalse(p.passes(ip("192.0.2.2")), "behind a mechanism the walk cannot evaluate: not judged");
    }

    @Test
    void moreThanTenDnsQueryingTermsIsAPermError() throws Exception {
        StringBuilder sb = new StringBuilder("v=spf1");
        for (int i = 0; i < 10; i++) {
            sb.append(" include:i").append(i).append(".test");
            dns.spf("i" + i + ".test", "v=spf1 ip4:192.0.2." + i + " -all");
        }
        dns.spf("ten.test", sb + " -all");
        assertEquals(SpfPolicy.Status.OK, walk("ten.test").status(), "10 are allowed");
        dns.spf("eleven.test", sb + " a:i0.test -all");
        SpfPolicy p = walk("eleven.test");
        assertEquals(SpfPolicy.Status.PERMERROR, p.status());
        assertTrue(p.detail().contains("more than 10 DNS-querying terms"), p.detail());
        assertFalse(p.passes(ip("192.0.2.1")));
        dns.spf("loop.test", "v=spf1 include:loop.test -all");
        assertEquals(SpfPolicy.Status.PERMERROR, walk("loop.test").status(), "a loop runs out of terms");
    }

    @Test
    void moreThanTwoVoidLookupsIsAPermError() throws Exception {
        dns.spf("two.test", "v=spf1 a:none1.test mx:none2.test ip4:192.0.2.0/24 -all");
        assertEquals(SpfPolicy.Status.OK, walk("two.test").status());
        dns.spf("three.test", "v=spf1 a:none1.test mx:none2.test a:none3.test ip4:192.0.2.0/24 -all");
        SpfPolicy p = walk("three.test");
        assertEquals(SpfPolicy.Status.PERMERROR, p.status());
        assertTrue(p.detail().contains("3 void lookups"), p.detail());
    }

    @Test
    void moreThanTenExchangersIsAPermError() throws Exception {
        dns.spf("mx.test", "v=spf1 mx -all");
        for (int i = 0; i < 11; i++) {
            dns.add("mx.test", 300, "MX", "10 mx" + i + ".mx.test.").add("mx" + i + ".mx.test", 300, "A",
                    "192.0.2." + i);
        }
        assertEquals(SpfPolicy.Status.PERMERROR, walk("mx.test").status());
    }

    @Test
    void noRecordTwoRecordsAndFailures() throws Exception {
        assertEquals(SpfPolicy.Status.NONE, walk("nothing.test").status());
        dns.add("text.test", 300, "TXT", "\"google-site-verification=abc\"");
        assertEquals(SpfPolicy.Status.NONE, walk("text.test").status(), "other TXT records are not SPF");
        dns.spf("two.test", "v=spf1 -all").spf("two.test", "v=spf1 +all");
        assertEquals(SpfPolicy.Status.PERMERROR, walk("two.test").status());
        dns.spf("inc.test", "v=spf1 include:nothing.test -all");
        assertEquals(SpfPolicy.Status.PERMERROR, walk("inc.test").status(), "include of a domain without SPF");
        dns.failing("sf.test");
        assertEquals(SpfPolicy.Status.TEMPERROR, walk("sf.test").status());
        dns.spf("deep.test", "v=spf1 include:sf.test -all");
        assertEquals(SpfPolicy.Status.TEMPERROR, walk("deep.test").status(), "a failure anywhere spoils the walk");
        dns.spf("long.test", "v=spf1 ip4:192.0.2.0/24 ~all");
        dns.add("split.test", 300, "TXT", "\"v=spf1 ip4:192.0.2.0/24\" \" -all\"");
        SpfPolicy split = walk("split.test");
        assertEquals(SpfPolicy.Status.OK, split.status(), "a record in several strings is joined");
        assertTrue(split.passes(ip("192.0.2.3")));
    }
}
