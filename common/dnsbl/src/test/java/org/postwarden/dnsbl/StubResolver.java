package org.postwarden.dnsbl;

import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.TextParseException;

import java.net.InetAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A resolver for unit tests that answers from a table, like recorded DNS answers: names listed with A records
 * (TTL given), names that never answer, and NXDOMAIN (with an SOA whose minimum is 300s) for everything else.
 * Counts the queries it gets, per name.
 */
public final class StubResolver extends InProcessResolver {
    private final Map<String, List<String>> listed = new ConcurrentHashMap<>();
    private final Map<String, Long> ttls = new ConcurrentHashMap<>();
    private final Map<String, Boolean> silent = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> queries = new ConcurrentHashMap<>();
    private final AtomicInteger total = new AtomicInteger();

    /** {@code name} (without trailing dot) answers these A records with {@code ttl} seconds. */
    public StubResolver list(String name, long ttl, String... codes) {
        listed.put(name.toLowerCase(java.util.Locale.ROOT), List.of(codes));
        ttls.put(name.toLowerCase(java.util.Locale.ROOT), ttl);
        return this;
    }

    /** {@code name} never gets an answer. */
    public StubResolver silent(String name) {
        silent.put(name.toLowerCase(java.util.Locale.ROOT), true);
        return this;
    }

    public int queries(String name) {
        AtomicInteger n = queries.get(name.toLowerCase(java.util.Locale.ROOT));
        return n == null ? 0 : n.get();
    }

    public int totalQueries() {
        return total.get();
    }

    @Override
    public CompletionStage<Message> sendAsync(Message query, Executor executor) {
        Name qn = query.getQuestion().getName();
        String name = qn.toString(true).toLowerCase(java.util.Locale.ROOT);
        total.incrementAndGet();
        queries.computeIfAbsent(name, n -> new AtomicInteger()).incrementAndGet();
        if (silent.containsKey(name)) {
            return new CompletableFuture<>();
        }
        Message m = new Message(query.getHeader().getID());
        m.getHeader().setFlag(Flags.QR);
        m.getHeader().setFlag(Flags.RA);
        m.addRecord(query.getQuestion(), Section.QUESTION);
        List<String> codes = listed.get(name);
        try {
            if (codes == null) {
                m.getHeader().setRcode(Rcode.NXDOMAIN);
                Name zone = Name.fromString("test.");
                m.addRecord(new SOARecord(zone, DClass.IN, 3600, Name.fromString("ns.test."),
                        Name.fromString("admin.test."), 1, 3600, 600, 86400, 300), Section.AUTHORITY);
            } else {
                for (String c : codes) {
                    m.addRecord(new ARecord(qn, DClass.IN, ttls.get(name), InetAddress.getByName(c)),
                            Section.ANSWER);
                }
            }
        } catch (TextParseException | java.net.UnknownHostException e) {
            return CompletableFuture.failedFuture(e);
        }
        return CompletableFuture.completedFuture(m);
    }
}
