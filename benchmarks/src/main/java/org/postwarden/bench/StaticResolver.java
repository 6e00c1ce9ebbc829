package org.postwarden.bench;

import org.postwarden.dnsbl.InProcessResolver;
import org.postwarden.dnsbl.QueryNames;
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
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;

/**
 * An in-process resolver for benchmarks: answers at once from a table (A records, TTL 1h), NXDOMAIN with an SOA
 * (1h) for everything else. No network: it measures Postwarden's side of a lookup only.
 */
public final class StaticResolver extends InProcessResolver {
    private final Map<String, InetAddress> listed = new ConcurrentHashMap<>();

    /** Lists {@code name} (no trailing dot) with {@code code}. */
    public StaticResolver list(String name, String code) {
        try {
            listed.put(name.toLowerCase(Locale.ROOT), InetAddress.getByName(code));
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(code, e);
        }
        return this;
    }

    /**
     * {@link DnsblBenchmark}'s zones for a workload: bots in {@code bl.bench.test} (127.0.0.4), every 20th client in
     * {@code wl.bench.test} (127.0.5.2), the spam sender domains in {@code dbl.bench.test} (127.0.1.2).
     */
    static StaticResolver forWorkload(Workload w) {
        StaticResolver r = new StaticResolver();
        for (int i = 0; i < w.clients(); i++) {
            String rev = QueryNames.reversed(w.inet(i));
            if (w.bad(i)) {
                r.list(rev + ".bl.bench.test", "127.0.0.4");
            } else if (i % 20 == 0) {
                r.list(rev + ".wl.bench.test", "127.0.5.2");
            }
        }
        for (int d = 0; d < 500; d++) {
            r.list("spam" + d + ".test.dbl.bench.test", "127.0.1.2");
        }
        return r;
    }

    @Override
    public CompletionStage<Message> sendAsync(Message query, Executor executor) {
        Name qn = query.getQuestion().getName();
        Message m = new Message(query.getHeader().getID());
        m.getHeader().setFlag(Flags.QR);
        m.getHeader().setFlag(Flags.RA);
        m.addRecord(query.getQuestion(), Section.QUESTION);
        InetAddress code = listed.get(qn.toString(true).toLowerCase(Locale.ROOT));
        try {
            if (code == null) {
                m.getHeader().setRcode(Rcode.NXDOMAIN);
                m.addRecord(new SOARecord(Name.fromString("bench.test."), DClass.IN, 3600,
                        Name.fromString("ns.bench.test."), Name.fromString("admin.bench.test."), 1, 3600, 600, 86400,
                        3600), Section.AUTHORITY);
            } else {
                m.addRecord(new ARecord(qn, DClass.IN, 3600, code), Section.ANSWER);
            }
        } catch (TextParseException e) {
            return CompletableFuture.failedFuture(e);
        }
        return CompletableFuture.completedFuture(m);
    }
}
