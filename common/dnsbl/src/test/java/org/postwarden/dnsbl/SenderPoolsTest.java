package org.postwarden.dnsbl;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.postwarden.metrics.PostwardenMetrics;
import org.postwarden.model.Cidr;
import org.postwarden.model.ManualTimeSource;

import java.net.InetAddress;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The DNS side of greylisting's sender pools against recorded answers: PTR pools (forward-confirmed, registered
 * domain, never a generic access-network name), SPF policies, their caches on the injected clock, and the request
 * budget that lets a slow lookup fail open.
 */
class SenderPoolsTest {
    final ManualTimeSource time = new ManualTimeSource(1_800_000_000_000L);
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    final ZoneResolver dns = new ZoneResolver();
    final SenderPools pools = new SenderPools(new PoolSettings(null, Duration.ofMillis(100), Duration.ofSeconds(2),
            Duration.ofHours(1), ""), dns, RegisteredDomains.approximation(), new PostwardenMetrics(registry), time);

    @AfterEach
    void close() {
        pools.close();
    }

    static InetAddress ip(String s) {
        return Cidr.parseAddress(s);
    }

    ZoneResolver ptr(String address, String name) {
        return dns.add(org.xbill.DNS.ReverseMap.fromAddress(ip(address)).toString(), 300, "PTR", name + ".");
    }

    <T> T get(CompletableFuture<T> f) throws Exception {
        return f.get(10, TimeUnit.SECONDS);
    }

    double lookups(String kind, String result) {
        var c = registry.find("postwarden.greylist.lookups").tags("kind", kind, "result", result).counter();
        return c == null ? 0 : c.count();
    }

    @Test
    void aForwardConfirmedPtrNameGivesItsRegisteredDomain() throws Exception {
        ptr("209.85.220.41", "mail-sor-f41.google.com").add("mail-sor-f41.google.com", 300, "A", "209.85.220.41");
        ptr("209.85.128.7", "mail-wr1-f7.google.com").add("mail-wr1-f7.google.com", 300, "A", "209.85.128.7");
        assertEquals(Optional.of("google.com"), get(pools.ptrDomain(ip("209.85.220.41"))));
        assertEquals(Optional.of("google.com"), get(pools.ptrDomain(ip("209.85.128.7"))));
        int queries = dns.queries();
        assertEquals(Optional.of("google.com"), get(pools.ptrDomain(ip("209.85.220.41"))));
        assertEquals(queries, dns.queries(), "cached");
        assertEquals(2, lookups("ptr", "found"));
    }

    @Test
    void aPtrNameThatDoesNotResolveBackOrEmbedsTheAddressIsNoPool() throws Exception {
        ptr("203.0.113.5", "mail.google.com").add("mail.google.com", 300, "A", "198.51.100.1");
        assertEquals(Optional.empty(), get(pools.ptrDomain(ip("203.0.113.5"))), "anybody can claim google.com");
        ptr("198.51.100.7", "dsl-198-51-100-7.isp.example").add("dsl-198-51-100-7.isp.example", 300, "A",
                "198.51.100.7");
        assertEquals(Optional.empty(), get(pools.ptrDomain(ip("198.51.100.7"))), "an access network's customer");
        assertEquals(1, lookups("ptr", "generic"));
        assertEquals(Optional.empty(), get(pools.ptrDomain(ip("192.0.2.1"))), "no PTR record");
        assertEquals(2, lookups("ptr", "none"), "no forward-confirmed name: twice");
    }

    @Test
    void namesEmbeddingTheAddress() {
        InetAddress a = ip("198.51.100.7");
        assertTrue(SenderPools.embedsAddress("dsl-198-51-100-7.isp.example", a));
        assertTrue(SenderPools.embedsAddress("7.100.51.198.static.example.net", a));
        assertTrue(SenderPools.embedsAddress("c-198-51-100-7.hsd1.ma.example.com", a));
        assertTrue(SenderPools.embedsAddress("ip198.51.100.7.example", a));
        assertFalse(SenderPools.embedsAddress("mail-wr1-f7.google.com", a));
        assertFalse(SenderPools.embedsAddress("mx1-100-7.example.net", a));
        assertFalse(SenderPools.embedsAddress("198-51-100-7.example", ip("2001:db8::1")), "IPv6: not recognised");
    }

    @Test
    void aServfailIsNoPoolAndASilentLookupEndsWithTheBudget() throws Exception {
        dns.failing("1.2.0.192.in-addr.arpa");
        assertEquals(Optional.empty(), get(pools.ptrDomain(ip("192.0.2.1"))));
        assertEquals(1, lookups("ptr", "none"), "SERVFAIL on the PTR: no name");
        dns.silent("2.2.0.192.in-addr.arpa");
        CompletableFuture<Optional<String>> slow = pools.ptrDomain(ip("192.0.2.2"));
        assertEquals("fallback", get(pools.withinBudget(slow.thenApply(o -> o.orElse("x")), "fallback")),
                "the request stops waiting after greylist.pools.timeout");
    }

    @Test
    void spfPoliciesAreCachedForTheCacheTtl() throws Exception {
        dns.spf("pool.test", "v=spf1 ip4:127.0.0.0/24 -all");
        SpfPolicy p = get(pools.spf("POOL.test"));
        assertEquals(SpfPolicy.Status.OK, p.status());
        assertTrue(p.passes(ip("127.0.0.7")));
        int queries = dns.queries();
        get(pools.spf("pool.test"));
        assertEquals(queries, dns.queries(), "cached");
        time.advance(Duration.ofMinutes(61));
        get(pools.spf("pool.test"));
        assertEquals(queries + 1, dns.queries(), "asked again after cache-ttl");
        assertEquals(2, lookups("spf", "ok"));
        dns.failing("down.test");
        assertEquals(SpfPolicy.Status.TEMPERROR, get(pools.spf("down.test")).status());
        int before = dns.queries();
        get(pools.spf("down.test"));
        assertEquals(before, dns.queries(), "a failure is remembered for a minute");
        time.advance(Duration.ofSeconds(61));
        get(pools.spf("down.test"));
        assertEquals(before + 1, dns.queries(), "and asked again after it");
    }

    @Test
    void theBudgetPassesAFinishedValueAtOnce() throws Exception {
        CompletableFuture<String> done = pools.withinBudget(CompletableFuture.completedFuture("v"), "fallback");
        assertTrue(done.isDone());
        assertEquals("v", done.join());
        assertEquals("fallback", pools.withinBudget(CompletableFuture.<String>failedFuture(new RuntimeException()),
                "fallback").join());
    }
}
