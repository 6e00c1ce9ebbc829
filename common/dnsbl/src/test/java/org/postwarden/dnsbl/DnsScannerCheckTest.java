package org.postwarden.dnsbl;

import org.junit.jupiter.api.Test;
import org.postwarden.model.Cidr;
import org.postwarden.model.ManualTimeSource;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.PTRRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

import java.net.InetAddress;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** Forward-confirmed reverse DNS against recorded answers: no network, no real DNS. */
class DnsScannerCheckTest {
    final ManualTimeSource time = new ManualTimeSource(1_800_000_000_000L);
    final Recorded dns = new Recorded();

    DnsScannerCheck check() {
        return new DnsScannerCheck(dns, Duration.ofMillis(500), Duration.ofHours(1),
                n -> n.toLowerCase(Locale.ROOT).endsWith(".shodan.io") || n.endsWith(".censys-scanner.com")
                        ? "x" : null, time);
    }

    static InetAddress ip(String s) {
        return Cidr.parseAddress(s);
    }

    Optional<String> ask(DnsScannerCheck c, String address) throws Exception {
        return c.scanner(ip(address)).toCompletableFuture().get(5, TimeUnit.SECONDS);
    }

    @Test
    void aConfirmedScannerIsRecognisedAndCached() throws Exception {
        dns.ptr("198.20.69.74", "census5.shodan.io.").forward("census5.shodan.io.", "198.20.69.74");
        try (DnsScannerCheck c = check()) {
            assertEquals(Optional.of("census5.shodan.io"), ask(c, "198.20.69.74"));
            int queries = dns.queries.get();
            assertEquals(Optional.of("census5.shodan.io"), ask(c, "198.20.69.74"));
            assertEquals(queries, dns.queries.get(), "second answer from the cache");
            assertEquals(Optional.of("census5.shodan.io"), c.cached(ip("198.20.69.74")));
        }
    }

    @Test
    void aPtrThatDoesNotResolveBackIsNoScanner() throws Exception {
        // anybody can put "shodan.io" in their own PTR record; the forward lookup is what proves it
        dns.ptr("203.0.113.5", "fake.shodan.io.").forward("fake.shodan.io.", "198.20.69.1");
        try (DnsScannerCheck c = check()) {
            assertEquals(Optional.empty(), ask(c, "203.0.113.5"));
            assertEquals(Optional.empty(), c.cached(ip("203.0.113.5")), "a negative answer is cached too");
        }
    }

    @Test
    void otherNamesAreNotLookedUpForward() throws Exception {
        dns.ptr("203.0.113.6", "dsl-203-0-113-6.example.net.");
        try (DnsScannerCheck c = check()) {
            assertEquals(Optional.empty(), ask(c, "203.0.113.6"));
            assertEquals(1, dns.queries.get(), "only the PTR query");
        }
    }

    @Test
    void ipv6ScannersUseAaaa() throws Exception {
        dns.ptr("2602:80d:1000::7", "scanner-07.ch1.censys-scanner.com.")
                .forward("scanner-07.ch1.censys-scanner.com.", "2602:80d:1000::7");
        try (DnsScannerCheck c = check()) {
            assertEquals(Optional.of("scanner-07.ch1.censys-scanner.com"), ask(c, "2602:80d:1000::7"));
        }
    }

    @Test
    void aTimeoutMeansNoScannerAndIsNotCached() throws Exception {
        dns.silent = true;
        try (DnsScannerCheck c = check()) {
            assertEquals(Optional.empty(), ask(c, "192.0.2.99"));
            assertNull(c.cached(ip("192.0.2.99")), "asked again next time");
        }
    }

    /** Answers PTR and A/AAAA queries from tables; NXDOMAIN otherwise; never answers when silent. */
    static final class Recorded extends InProcessResolver {
        final Map<String, String> ptr = new ConcurrentHashMap<>();
        final Map<String, String> forward = new ConcurrentHashMap<>();
        final AtomicInteger queries = new AtomicInteger();
        volatile boolean silent;

        Recorded ptr(String address, String name) {
            ptr.put(org.xbill.DNS.ReverseMap.fromAddress(ip(address)).toString(), name);
            return this;
        }

        Recorded forward(String name, String address) {
            forward.put(name.toLowerCase(Locale.ROOT), address);
            return this;
        }

        @Override
        public CompletionStage<Message> sendAsync(Message query, Executor executor) {
            queries.incrementAndGet();
            if (silent) {
                return new CompletableFuture<>();
            }
            Record q = query.getQuestion();
            Message m = new Message(query.getHeader().getID());
            m.getHeader().setFlag(Flags.QR);
            m.addRecord(q, Section.QUESTION);
            String name = q.getName().toString().toLowerCase(Locale.ROOT);
            try {
                if (q.getType() == Type.PTR && ptr.containsKey(name)) {
                    m.addRecord(new PTRRecord(q.getName(), DClass.IN, 300, Name.fromString(ptr.get(name))),
                            Section.ANSWER);
                } else if ((q.getType() == Type.A || q.getType() == Type.AAAA) && forward.containsKey(name)) {
                    InetAddress a = ip(forward.get(name));
                    m.addRecord(a.getAddress().length == 4 ? new ARecord(q.getName(), DClass.IN, 300, a)
                            : new AAAARecord(q.getName(), DClass.IN, 300, a), Section.ANSWER);
                } else {
                    m.getHeader().setRcode(Rcode.NXDOMAIN);
                }
            } catch (TextParseException e) {
                return CompletableFuture.failedFuture(e);
            }
            return CompletableFuture.supplyAsync(() -> m, executor);
        }
    }
}
