package org.postwarden.dnsbl;

import org.postwarden.model.Addresses;
import org.postwarden.model.Cidr;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.MXRecord;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Resolver;
import org.xbill.DNS.Section;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Walks a domain's SPF record into an {@link SpfPolicy}, asynchronously (dnsjava's {@code sendAsync}, answers handled
 * on the caller's executor; the queries of one record go out in parallel): TXT for the record, A and AAAA for
 * {@code a}, MX and then A/AAAA of each exchanger for {@code mx}, the records of {@code include:} and
 * {@code redirect=} (the latter only when the record has no {@code all}). RFC 7208's limits apply to the whole walk:
 * at most 10 DNS-querying terms ({@code include}, {@code a}, {@code mx}, {@code ptr}, {@code exists},
 * {@code redirect}), at most 2 void lookups (a term whose queries found nothing), at most 10 exchangers per
 * {@code mx}; over a limit the policy is a permerror. Unlike {@code check_host()}, which stops at the first matching
 * mechanism, the walk evaluates every term once for all addresses, so it counts every term and an error anywhere
 * (a failed include, a DNS failure) makes the whole policy unusable. No cache here ({@link SenderPools} keeps one).
 * Thread-safe.
 */
final class SpfWalker {
    static final int MAX_TERMS = 10;
    static final int MAX_VOIDS = 2;
    static final int MAX_MX = 10;
    private final Resolver resolver;
    private final Executor executor;

    SpfWalker(Resolver resolver, Executor executor) {
        this.resolver = resolver;
        this.executor = executor;
    }

    /** The policy of {@code domain} (lower case, no trailing dot). Completes normally, never exceptionally. */
    CompletableFuture<SpfPolicy> walk(String domain) {
        Budget budget = new Budget();
        return policy(domain, budget).thenApply(p -> p.status() == SpfPolicy.Status.OK
                && budget.voids.get() > MAX_VOIDS ? SpfPolicy.failed(domain, SpfPolicy.Status.PERMERROR,
                budget.voids.get() + " void lookups (RFC 7208 allows " + MAX_VOIDS + ")") : p)
                .exceptionally(t -> SpfPolicy.failed(domain, SpfPolicy.Status.TEMPERROR, String.valueOf(t)));
    }

    /** The limits of one walk, shared by its records. */
    private static final class Budget {
        final AtomicInteger terms = new AtomicInteger();
        final AtomicInteger voids = new AtomicInteger();
    }

    /** One mechanism's outcome: its term, or the failure of the whole policy. */
    private record Step(SpfPolicy.Term term, SpfPolicy failure) {
    }

    /** What a query found: the records of the answer section, or a failure. */
    private record Answer(List<Record> records, String failure) {
    }

    private CompletableFuture<SpfPolicy> policy(String domain, Budget budget) {
        return query(domain, Type.TXT).thenCompose(a -> {
            if (a.failure() != null) {
                return done(SpfPolicy.failed(domain, SpfPolicy.Status.TEMPERROR, "TXT " + domain + ": "
                        + a.failure()));
            }
            List<String> spf = new ArrayList<>();
            for (Record r : a.records()) {
                if (r instanceof TXTRecord t) {
                    String text = String.join("", t.getStrings());
                    if (SpfRecord.isSpf(text)) {
                        spf.add(text);
                    }
                }
            }
            if (spf.isEmpty()) {
                return done(SpfPolicy.failed(domain, SpfPolicy.Status.NONE, "no SPF record at " + domain));
            }
            if (spf.size() > 1) {
                return done(SpfPolicy.failed(domain, SpfPolicy.Status.PERMERROR, spf.size() + " SPF records at "
                        + domain));
            }
            SpfRecord rec;
            try {
                rec = SpfRecord.parse(spf.get(0));
            } catch (IllegalArgumentException e) {
                return done(SpfPolicy.failed(domain, SpfPolicy.Status.PERMERROR, domain + ": " + e.getMessage()));
            }
            return evaluate(domain, rec, budget);
        });
    }

    private CompletableFuture<SpfPolicy> evaluate(String domain, SpfRecord rec, Budget budget) {
        boolean hasAll = rec.mechanisms().stream().anyMatch(m -> m.kind() == SpfRecord.Kind.ALL);
        boolean redirect = rec.redirect() != null && !hasAll;
        int terms = (int) rec.mechanisms().stream().filter(m -> m.kind().dnsQuerying()).count() + (redirect ? 1 : 0);
        int total = budget.terms.addAndGet(terms);
        if (total > MAX_TERMS) {
            return done(SpfPolicy.failed(domain, SpfPolicy.Status.PERMERROR, "more than " + MAX_TERMS
                    + " DNS-querying terms (RFC 7208 section 4.6.4)"));
        }
        List<CompletableFuture<Step>> steps = new ArrayList<>();
        for (SpfRecord.Mechanism m : rec.mechanisms()) {
            steps.add(step(domain, m, budget));
        }
        CompletableFuture<SpfPolicy> next = !redirect ? done(null)
                : rec.redirect().indexOf('%') >= 0 ? done(null)
                : policy(rec.redirect(), budget).thenApply(p -> p.status() == SpfPolicy.Status.OK ? p
                        : SpfPolicy.failed(domain, p.status() == SpfPolicy.Status.NONE ? SpfPolicy.Status.PERMERROR
                                : p.status(), "redirect=" + rec.redirect() + ": " + p.detail()));
        boolean opaqueRedirect = redirect && rec.redirect().indexOf('%') >= 0;
        return CompletableFuture.allOf(steps.toArray(CompletableFuture[]::new)).thenCombine(next, (v, target) -> {
            List<SpfPolicy.Term> out = new ArrayList<>();
            for (CompletableFuture<Step> f : steps) {
                Step s = f.join();
                if (s.failure() != null) {
                    return s.failure();
                }
                out.add(s.term());
            }
            if (target != null && target.status() != SpfPolicy.Status.OK) {
                return target;
            }
            if (opaqueRedirect) {
                out.add(new SpfPolicy.Opaque('+', "redirect with a macro"));
            }
            return new SpfPolicy(domain, SpfPolicy.Status.OK, out, target, "");
        });
    }

    private CompletableFuture<Step> step(String domain, SpfRecord.Mechanism m, Budget budget) {
        char q = m.qualifier();
        if (m.macro()) {
            return done(new Step(new SpfPolicy.Opaque(q, m.kind().name().toLowerCase(java.util.Locale.ROOT) + ":"
                    + m.domain()), null));
        }
        String target = m.domain() == null ? domain : m.domain();
        return switch (m.kind()) {
            case ALL -> done(new Step(new SpfPolicy.All(q), null));
            case IP4, IP6 -> done(new Step(new SpfPolicy.Networks(q, List.of(m.network())), null));
            case PTR, EXISTS -> done(new Step(new SpfPolicy.Opaque(q, m.kind().name().toLowerCase(
                    java.util.Locale.ROOT)), null));
            case INCLUDE -> policy(target, budget).thenApply(p -> p.status() == SpfPolicy.Status.OK
                    ? new Step(new SpfPolicy.Include(q, p), null)
                    : new Step(null, SpfPolicy.failed(domain, p.status() == SpfPolicy.Status.NONE
                            ? SpfPolicy.Status.PERMERROR : p.status(), "include:" + target + ": " + p.detail())));
            case A -> addresses(target, m).thenApply(nets -> {
                if (nets == null) {
                    return new Step(null, SpfPolicy.failed(domain, SpfPolicy.Status.TEMPERROR, "a:" + target
                            + ": DNS failure"));
                }
                if (nets.isEmpty()) {
                    budget.voids.incrementAndGet();
                }
                return new Step(new SpfPolicy.Networks(q, nets), null);
            });
            case MX -> mx(domain, target, m, budget);
        };
    }

    private CompletableFuture<Step> mx(String domain, String target, SpfRecord.Mechanism m, Budget budget) {
        return query(target, Type.MX).thenCompose(a -> {
            if (a.failure() != null) {
                return done(new Step(null, SpfPolicy.failed(domain, SpfPolicy.Status.TEMPERROR, "mx:" + target
                        + ": " + a.failure())));
            }
            List<String> hosts = new ArrayList<>();
            for (Record r : a.records()) {
                if (r instanceof MXRecord mx) {
                    hosts.add(mx.getTarget().toString(true).toLowerCase(java.util.Locale.ROOT));
                }
            }
            if (hosts.size() > MAX_MX) {
                return done(new Step(null, SpfPolicy.failed(domain, SpfPolicy.Status.PERMERROR, "mx:" + target
                        + ": " + hosts.size() + " exchangers (RFC 7208 allows " + MAX_MX + ")")));
            }
            if (hosts.isEmpty()) {
                budget.voids.incrementAndGet();
                return done(new Step(new SpfPolicy.Networks(m.qualifier(), List.of()), null));
            }
            List<CompletableFuture<List<Cidr>>> each = new ArrayList<>();
            for (String h : hosts) {
                each.add(addresses(h, m));
            }
            return CompletableFuture.allOf(each.toArray(CompletableFuture[]::new)).thenApply(v -> {
                List<Cidr> nets = new ArrayList<>();
                for (CompletableFuture<List<Cidr>> f : each) {
                    List<Cidr> n = f.join();
                    if (n == null) {
                        return new Step(null, SpfPolicy.failed(domain, SpfPolicy.Status.TEMPERROR, "mx:" + target
                                + ": DNS failure"));
                    }
                    nets.addAll(n);
                }
                return new Step(new SpfPolicy.Networks(m.qualifier(), nets), null);
            });
        });
    }

    /** The A and AAAA addresses of {@code host} as networks of the mechanism's CIDR lengths; null on a failure. */
    private CompletableFuture<List<Cidr>> addresses(String host, SpfRecord.Mechanism m) {
        CompletableFuture<Answer> v4 = query(host, Type.A);
        CompletableFuture<Answer> v6 = query(host, Type.AAAA);
        return v4.thenCombine(v6, (a, b) -> {
            if (a.failure() != null || b.failure() != null) {
                return null;
            }
            List<Cidr> out = new ArrayList<>();
            for (Record r : a.records()) {
                if (r instanceof ARecord ar) {
                    out.add(network(ar.getAddress(), m.cidr4()));
                }
            }
            for (Record r : b.records()) {
                if (r instanceof AAAARecord ar) {
                    out.add(network(ar.getAddress(), m.cidr6()));
                }
            }
            return out;
        });
    }

    private static Cidr network(InetAddress a, int prefix) {
        return Cidr.parse(Addresses.format(a) + "/" + prefix);
    }

    /** One query: NXDOMAIN and an empty answer are no records; other rcodes and resolver errors are failures. */
    private CompletableFuture<Answer> query(String name, int type) {
        Message q;
        try {
            q = Message.newQuery(Record.newRecord(Name.fromString(name, Name.root), type, DClass.IN));
        } catch (TextParseException e) {
            return done(new Answer(List.of(), null));
        }
        CompletableFuture<Message> sent;
        try {
            sent = resolver.sendAsync(q, executor).toCompletableFuture();
        } catch (RuntimeException e) {
            sent = CompletableFuture.failedFuture(e);
        }
        return sent.handle((m, t) -> {
            if (m == null) {
                return new Answer(List.of(), t == null ? "no answer" : String.valueOf(t));
            }
            int rcode = m.getRcode();
            if (rcode == Rcode.NXDOMAIN) {
                return new Answer(List.of(), null);
            }
            if (rcode != Rcode.NOERROR) {
                return new Answer(List.of(), Rcode.string(rcode));
            }
            return new Answer(m.getSection(Section.ANSWER), null);
        });
    }

    private static <T> CompletableFuture<T> done(T value) {
        return CompletableFuture.completedFuture(value);
    }
}
