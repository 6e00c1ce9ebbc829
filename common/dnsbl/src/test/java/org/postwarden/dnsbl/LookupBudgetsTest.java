package org.postwarden.dnsbl;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.postwarden.dnsbl.zone.DnsblSettings;
import org.postwarden.dnsbl.zone.DnsblZoneParser;
import org.postwarden.dnsbl.zone.ZoneKind;
import org.postwarden.metrics.PostwardenMetrics;
import org.postwarden.model.Cidr;
import org.postwarden.model.ManualTimeSource;

import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each lookup kind has its own in-flight budget: random sender domains or HELO names that never answer spend
 * their own budget, never the client-IP lookups'; overloads are counted per kind. The events cache keeps the
 * sender's domain only.
 */
class LookupBudgetsTest {
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final StubResolver dns = new StubResolver();
    private final List<DnsblClient> clients = new ArrayList<>();

    @AfterEach
    void close() {
        clients.forEach(DnsblClient::close);
    }

    private DnsblClient client(int clientBudget, int heloBudget, int senderBudget) {
        DnsblSettings s = new DnsblSettings(null, Duration.ofSeconds(30), Duration.ofSeconds(60), clientBudget, 1000,
                Duration.ofSeconds(60), Duration.ofHours(1), Duration.ofSeconds(10),
                List.of(DnsblZoneParser.parse("bl.example*5", ZoneKind.CLIENT_IP),
                        DnsblZoneParser.parse("dbl.example*3", ZoneKind.RHSBL_HELO),
                        DnsblZoneParser.parse("dbl.example*3", ZoneKind.RHSBL_SENDER)),
                List.of(), "", List.of(), Duration.ofHours(1), Duration.ZERO, false, List.of(), heloBudget,
                senderBudget);
        DnsblClient c = new DnsblClient(s, dns, new PostwardenMetrics(registry), new ManualTimeSource(0));
        clients.add(c);
        return c;
    }

    private double overloads(String kind) {
        Counter c = registry.find("postwarden.dnsbl.overload").tag("kind", kind).counter();
        return c == null ? 0 : c.count();
    }

    @Test
    void randomSenderDomainsAndHeloNamesCannotStarveClientLookups() throws Exception {
        dns.list("9.2.0.192.bl.example", 300, "127.0.0.2");
        List<CompletableFuture<DnsblAnswers>> stuck = new ArrayList<>();
        DnsblClient c = client(5, 3, 3);
        for (int i = 0; i < 20; i++) {
            // every random name holds its query slot until query-timeout: the resolver never answers them
            dns.silent("r" + i + ".example.dbl.example");
            dns.silent("h" + i + ".example.dbl.example");
            stuck.add(c.lookup(ZoneKind.RHSBL_SENDER, "r" + i + ".example"));
            stuck.add(c.lookup(ZoneKind.RHSBL_HELO, "h" + i + ".example"));
        }
        assertEquals(17, overloads("rhsbl-sender"));
        assertEquals(17, overloads("rhsbl-helo"));

        DnsblAnswers a = c.lookup(ZoneKind.CLIENT_IP, Cidr.parseAddress("192.0.2.9")).get(10, TimeUnit.SECONDS);
        assertEquals(1, a.hits().size(), "the client lookup got its answer: " + a);
        assertEquals(0, overloads("client-ip"));
        assertEquals(1, dns.queries("9.2.0.192.bl.example"));
        assertTrue(stuck.stream().noneMatch(f -> f.isDone() && !f.join().hits().isEmpty()));
    }

    @Test
    void theClientBudgetOverloadsOnItsOwnAndSaysWhichKey() throws Exception {
        DnsblClient c = client(2, 10, 10);
        CompletableFuture<DnsblAnswers> last = null;
        for (int i = 1; i <= 3; i++) {
            dns.silent(i + ".2.0.192.bl.example");
            last = c.lookup(ZoneKind.CLIENT_IP, Cidr.parseAddress("192.0.2." + i));
        }
        assertEquals(1, overloads("client-ip"));
        DnsblResult r = last.get(10, TimeUnit.SECONDS).result("bl.example");
        DnsblResult.Failed f = assertInstanceOf(DnsblResult.Failed.class, r);
        assertEquals(DnsblResult.Reason.OVERLOAD, f.reason());
        assertTrue(f.detail().contains("dnsbl.max-in-flight (2)"), f.detail());
        // the sender budget is untouched
        assertTrue(c.lookup(ZoneKind.RHSBL_SENDER, "fine.example").get(10, TimeUnit.SECONDS).hits().isEmpty());
        assertEquals(0, overloads("rhsbl-sender"));
        assertEquals(1, dns.queries("fine.example.dbl.example"));
    }

    @Test
    void theEventsCacheKeepsTheSenderDomainNotTheAddress() {
        InetAddress ip = Cidr.parseAddress("192.0.2.7");
        EventKey full = new EventKey(ip, "mx.example", "x".repeat(500) + "@Example.ORG");
        EventKey stored = full.stored();
        assertNotSame(full, stored);
        assertEquals("Example.ORG", stored.retainedSender());
        assertEquals(full, stored);
        assertEquals(full.hashCode(), stored.hashCode());
        assertEquals(new EventKey(ip, "mx.example", "other@example.org"), stored,
                "another local part of the same domain is the same event");
        assertFalse(new EventKey(ip, "mx.example", "a@example.net").equals(stored));
        EventKey none = new EventKey(ip, "mx.example", null);
        assertSame(none, none.stored());
    }
}
