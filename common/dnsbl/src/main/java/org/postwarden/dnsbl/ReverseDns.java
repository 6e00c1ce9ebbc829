package org.postwarden.dnsbl;

import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.PTRRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Resolver;
import org.xbill.DNS.ReverseMap;
import org.xbill.DNS.Section;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Predicate;

/**
 * Forward-confirmed reverse DNS, asynchronously (dnsjava's {@code sendAsync}, answers handled on the caller's
 * executor): the PTR names of an address, then a forward lookup (A for IPv4, AAAA for IPv6) of each name the caller
 * wants, in answer order, until one resolves back to the address. Anybody can put any name in the PTR records of
 * their own addresses; the forward lookup is what proves the name. Shared by the research-scanner check and the
 * greylisting sender pools. No cache here (the callers keep theirs). Thread-safe.
 */
final class ReverseDns {
    /** PTR names looked up forward at most, per address. */
    static final int MAX_NAMES = 4;
    private final Resolver resolver;
    private final Executor executor;

    ReverseDns(Resolver resolver, Executor executor) {
        this.resolver = resolver;
        this.executor = executor;
    }

    /**
     * The first of {@code a}'s PTR names (without the trailing dot) that {@code wanted} accepts and whose forward
     * lookup contains {@code a}; empty when there is none (no PTR record, an error answer, no name confirmed).
     * Completes exceptionally when the resolver fails (timeout, network).
     */
    CompletionStage<Optional<String>> confirmed(InetAddress a, Predicate<String> wanted) {
        Message ptr = Message.newQuery(Record.newRecord(ReverseMap.fromAddress(a), Type.PTR, DClass.IN));
        return resolver.sendAsync(ptr, executor).thenCompose(answer -> {
            List<String> names = new ArrayList<>();
            if (answer.getRcode() == Rcode.NOERROR) {
                for (Record r : answer.getSection(Section.ANSWER)) {
                    if (r instanceof PTRRecord p && names.size() < MAX_NAMES) {
                        String name = p.getTarget().toString(true);
                        if (wanted.test(name)) {
                            names.add(name);
                        }
                    }
                }
            }
            return confirm(a, names, 0);
        });
    }

    /** The first of {@code names} from index {@code i} whose forward lookup contains {@code a}. */
    private CompletionStage<Optional<String>> confirm(InetAddress a, List<String> names, int i) {
        if (i >= names.size()) {
            return CompletableFuture.completedFuture(Optional.empty());
        }
        String name = names.get(i);
        int type = a.getAddress().length == 4 ? Type.A : Type.AAAA;
        Message q;
        try {
            q = Message.newQuery(Record.newRecord(Name.fromString(name, Name.root), type, DClass.IN));
        } catch (TextParseException e) {
            return confirm(a, names, i + 1);
        }
        return resolver.sendAsync(q, executor).thenCompose(answer -> {
            for (Record r : answer.getSection(Section.ANSWER)) {
                InetAddress back = r instanceof ARecord ar ? ar.getAddress()
                        : r instanceof AAAARecord aaaa ? aaaa.getAddress() : null;
                if (a.equals(back)) {
                    return CompletableFuture.completedFuture(Optional.of(name));
                }
            }
            return confirm(a, names, i + 1);
        });
    }
}
