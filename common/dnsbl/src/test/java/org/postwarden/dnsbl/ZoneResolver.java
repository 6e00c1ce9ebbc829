package org.postwarden.dnsbl;

import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A resolver for unit tests that answers from records written in zone-file form ({@code name ttl type rdata}, e.g.
 * {@code pool.test. 300 TXT "v=spf1 ip4:192.0.2.0/24 -all"}), like recorded DNS answers: the records of the asked
 * name and type; NOERROR without records when the name has records of other types; NXDOMAIN otherwise. Names may be
 * made silent (never answered) or failing (SERVFAIL). Answers come on the caller's executor. Counts queries.
 */
public final class ZoneResolver extends InProcessResolver {
    private final Map<String, List<Record>> records = new ConcurrentHashMap<>();
    private final Set<String> silent = ConcurrentHashMap.newKeySet();
    private final Set<String> failing = ConcurrentHashMap.newKeySet();
    private final AtomicInteger queries = new AtomicInteger();

    /** Adds one record, e.g. {@code add("pool.test.", 300, "TXT", "\"v=spf1 -all\"")}. */
    public ZoneResolver add(String name, long ttl, String type, String rdata) {
        try {
            Name n = Name.fromString(name.endsWith(".") ? name : name + ".");
            Record r = Record.fromString(n, Type.value(type), DClass.IN, ttl, rdata, Name.root);
            records.computeIfAbsent(n.toString().toLowerCase(Locale.ROOT), k -> new ArrayList<>()).add(r);
        } catch (IOException e) {
            throw new IllegalArgumentException(name + " " + type + " " + rdata, e);
        }
        return this;
    }

    /** An SPF record for {@code domain}. */
    public ZoneResolver spf(String domain, String text) {
        return add(domain, 300, "TXT", "\"" + text + "\"");
    }

    /** {@code name} (any type) never gets an answer. */
    public ZoneResolver silent(String name) {
        silent.add(key(name));
        return this;
    }

    /** {@code name} (any type) answers SERVFAIL. */
    public ZoneResolver failing(String name) {
        failing.add(key(name));
        return this;
    }

    public int queries() {
        return queries.get();
    }

    private static String key(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return n.endsWith(".") ? n : n + ".";
    }

    @Override
    public CompletionStage<Message> sendAsync(Message query, Executor executor) {
        queries.incrementAndGet();
        Record q = query.getQuestion();
        String name = q.getName().toString().toLowerCase(Locale.ROOT);
        if (silent.contains(name)) {
            return new CompletableFuture<>();
        }
        Message m = new Message(query.getHeader().getID());
        m.getHeader().setFlag(Flags.QR);
        m.getHeader().setFlag(Flags.RA);
        m.addRecord(q, Section.QUESTION);
        List<Record> all = records.get(name);
        if (failing.contains(name)) {
            m.getHeader().setRcode(Rcode.SERVFAIL);
        } else if (all == null) {
            m.getHeader().setRcode(Rcode.NXDOMAIN);
        } else {
            for (Record r : all) {
                if (r.getType() == q.getType()) {
                    m.addRecord(r, Section.ANSWER);
                }
            }
        }
        return CompletableFuture.supplyAsync(() -> m, executor);
    }
}
