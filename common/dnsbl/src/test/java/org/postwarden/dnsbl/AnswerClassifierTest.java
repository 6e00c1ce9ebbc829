package org.postwarden.dnsbl;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.postwarden.dnsbl.zone.CodeFilter;
import org.postwarden.dnsbl.zone.DnsblSettings;
import org.postwarden.dnsbl.zone.DnsblZoneParser;
import org.postwarden.dnsbl.zone.ZoneKind;
import org.postwarden.metrics.PostwardenMetrics;
import org.postwarden.model.ManualTimeSource;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Answer classification on its own: hand-made DNS messages in, listed / not listed / failed and expiries out. */
class AnswerClassifierTest {
    final ManualTimeSource time = new ManualTimeSource(1_800_000_000_000L);
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    final DnsblSettings settings = new DnsblSettings(null, Duration.ofSeconds(5), Duration.ofSeconds(2), 100, 1000,
            Duration.ofSeconds(60), Duration.ofHours(1), Duration.ofSeconds(10),
            List.of(DnsblZoneParser.parse("bl.test*3", ZoneKind.CLIENT_IP)),
            List.of(CodeFilter.parse("127.255.255.[0..255]")), "", List.of(), Duration.ofMinutes(10));
    final AnswerClassifier classifier = new AnswerClassifier(settings, new PostwardenMetrics(registry), time);
    final Zone zone = new ZoneTable(settings).of(ZoneKind.CLIENT_IP)[0];

    static Message answer(int rcode, long soaMinimum, String... codes) throws Exception {
        Name qn = Name.fromString("2.0.0.127.bl.test.");
        Message m = Message.newQuery(org.xbill.DNS.Record.newRecord(qn, org.xbill.DNS.Type.A, DClass.IN));
        m.getHeader().setFlag(Flags.QR);
        m.getHeader().setRcode(rcode);
        for (String c : codes) {
            m.addRecord(new ARecord(qn, DClass.IN, 30, InetAddress.getByName(c)), Section.ANSWER);
        }
        if (soaMinimum >= 0) {
            m.addRecord(new SOARecord(Name.fromString("bl.test."), DClass.IN, 3600, Name.fromString("ns.bl.test."),
                    Name.fromString("admin.bl.test."), 1, 3600, 600, 86400, soaMinimum), Section.AUTHORITY);
        }
        return m;
    }

    long ttlSeconds(ZoneAnswer a) {
        return TimeUnit.NANOSECONDS.toSeconds(a.expiresAtNanos() - time.nanos());
    }

    double errors(String reason) {
        var c = registry.find("postwarden.dnsbl.errors").tags("zone", "bl.test", "reason", reason).counter();
        return c == null ? 0 : c.count();
    }

    @Test
    void listingsAreKeptForTheirTtlClampedToMinTtl() throws Exception {
        ZoneAnswer a = classifier.classify(zone, answer(Rcode.NOERROR, -1, "127.0.0.2", "127.0.0.4"), "127.0.0.2");
        assertEquals("127.0.0.2,127.0.0.4", assertInstanceOf(DnsblResult.Listed.class, a.result()).codesText());
        assertEquals(60, ttlSeconds(a), "TTL 30 s raised to min-ttl");
        assertFalse(a.result().toString().contains("bl.test"), "no owner name (nor DQS key) in the codes");
    }

    @Test
    void nxdomainAndNodataAreNotListedForTheSoaMinimum() throws Exception {
        ZoneAnswer nx = classifier.classify(zone, answer(Rcode.NXDOMAIN, 300), "127.0.0.2");
        assertEquals(DnsblResult.NOT_LISTED, nx.result());
        assertEquals(300, ttlSeconds(nx));
        ZoneAnswer nodata = classifier.classify(zone, answer(Rcode.NOERROR, -1), "127.0.0.2");
        assertEquals(DnsblResult.NOT_LISTED, nodata.result());
        assertEquals(60, ttlSeconds(nodata), "no SOA: min-ttl");
    }

    @Test
    void errorCodesFailAndMarkTheZoneFailingUntilASaneAnswer() throws Exception {
        ZoneAnswer a = classifier.classify(zone, answer(Rcode.NOERROR, -1, "127.255.255.254"), "127.0.0.2");
        DnsblResult.Failed f = assertInstanceOf(DnsblResult.Failed.class, a.result());
        assertEquals(DnsblResult.Reason.ERROR_CODE, f.reason());
        assertEquals(10, ttlSeconds(a), "failure-ttl");
        assertTrue(zone.failing());
        assertEquals(1, errors("error-code"));
        assertTrue(classifier.errorCode((Inet4Address) InetAddress.getByName("10.0.0.1")), "outside 127/8");
        assertFalse(classifier.errorCode((Inet4Address) InetAddress.getByName("127.0.0.2")));
        classifier.classify(zone, answer(Rcode.NXDOMAIN, 300), "127.0.0.3");
        assertFalse(zone.failing(), "NXDOMAIN is a sane answer");
    }

    @Test
    void servfailTimeoutsAndNetworkErrorsFailWithoutMarkingTheZone() throws Exception {
        DnsblResult.Failed servfail = assertInstanceOf(DnsblResult.Failed.class,
                classifier.classify(zone, answer(Rcode.SERVFAIL, -1), "127.0.0.2").result());
        assertEquals(DnsblResult.Reason.SERVFAIL, servfail.reason());
        assertEquals(DnsblResult.Reason.TIMEOUT, assertInstanceOf(DnsblResult.Failed.class, classifier.failure(zone,
                new CompletionException(new SocketTimeoutException("late"))).result()).reason());
        assertEquals(DnsblResult.Reason.NETWORK, assertInstanceOf(DnsblResult.Failed.class,
                classifier.failure(zone, new java.io.IOException("unreachable")).result()).reason());
        assertFalse(zone.failing());
        assertEquals(1, errors("servfail"));
        assertEquals(1, errors("network"));
        assertEquals(TimeUnit.SECONDS.toNanos(60), classifier.clamp(1));
        assertEquals(TimeUnit.HOURS.toNanos(1), classifier.clamp(86_400));
    }
}
