package org.postwarden.bench;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import org.postwarden.dnsbl.DnsblClient;
import org.postwarden.dnsbl.QueryNames;
import org.postwarden.engine.DecisionEngine;
import org.postwarden.metrics.PostwardenMetrics;
import org.postwarden.model.MailEvent;
import org.postwarden.model.SmtpStage;
import org.postwarden.model.TimeSource;
import org.postwarden.reputation.memory.MemoryReputationStore;
import org.postwarden.rules.Rules;

import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/**
 * What the benchmarks build alike before measuring: stores and engines on the system clock, the warm-up that shows
 * the engine every client once, pre-built RCPT events (their DNSBL answers cached), and policy requests as Postfix
 * writes them.
 */
final class BenchSetup {
    private BenchSetup() {
    }

    /** An empty store with {@code rules}' settings, on the system clock. */
    static MemoryReputationStore store(Rules rules) {
        return new MemoryReputationStore(rules.storeSettings(), TimeSource.SYSTEM);
    }

    /** An engine on a new {@link #store}, with the DNSBL check when {@code dnsbl} is not null. */
    static DecisionEngine engine(Rules rules, PostwardenMetrics metrics, DnsblClient dnsbl) {
        return new DecisionEngine(rules, store(rules), metrics, dnsbl);
    }

    /**
     * Hands {@code decide} one RCPT event from every client of {@code w} in turn, so that the measured part mostly
     * finds existing keys.
     */
    static void everyClientOnce(Workload w, Consumer<MailEvent> decide) {
        PolicyTraffic warm = new PolicyTraffic(w, -1);
        for (int i = 0; i < w.clients(); i++) {
            PolicyTraffic.Rcpt r = warm.next();
            decide.accept(new MailEvent("policy", SmtpStage.RCPT, w.inet(i), r.clientPort(), w.clientName(i),
                    w.helo(i), r.sender(), r.recipient(), "", r.instance(), "", 0, 0));
        }
    }

    /** The next {@code n} events of {@code t}; with a {@code dnsbl} client, each one's lookup is cached first. */
    static MailEvent[] events(PolicyTraffic t, int n, DnsblClient dnsbl) {
        MailEvent[] events = new MailEvent[n];
        for (int k = 0; k < n; k++) {
            MailEvent e = t.toEvent(t.next());
            events[k] = e;
            if (dnsbl != null) {
                dnsbl.lookup(e.client(), QueryNames.normalizeDomain(e.heloName()),
                        e.sender().isEmpty() ? null : QueryNames.normalizeDomain(e.senderDomain())).join();
            }
        }
        return events;
    }

    /** The next {@code n} requests of {@code t} in the policy protocol, one direct buffer each. */
    static ByteBuf[] requests(PolicyTraffic t, int n) {
        ByteBuf[] requests = new ByteBuf[n];
        StringBuilder sb = new StringBuilder(2048);
        for (int k = 0; k < n; k++) {
            sb.setLength(0);
            PolicyTraffic.appendRequest(t.next(), sb);
            byte[] b = sb.toString().getBytes(StandardCharsets.US_ASCII);
            requests[k] = PooledByteBufAllocator.DEFAULT.directBuffer(b.length).writeBytes(b);
        }
        return requests;
    }
}
