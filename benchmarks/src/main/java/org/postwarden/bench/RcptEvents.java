package org.postwarden.bench;

import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.TearDown;
import org.postwarden.dnsbl.DnsblClient;
import org.postwarden.model.MailEvent;
import org.postwarden.verdict.Action;
import org.postwarden.verdict.Decision;

import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A benchmark thread's pre-built RCPT events (generation cost is not measured), each thread's from its own seed, and
 * the tally of the actions decided, printed at the end of the trial. Subclasses are the {@code @State} classes that
 * fill it from their benchmark's workload.
 */
public abstract class RcptEvents {
    static final int EVENTS = 1 << 17;
    private static final AtomicInteger SEEDS = new AtomicInteger();
    private MailEvent[] events;
    private int i;
    private final long[] actions = new long[Action.values().length];

    /** {@link #EVENTS} events of traffic on {@code w}; with a {@code dnsbl} client, their answers cached. */
    void fill(Workload w, DnsblClient dnsbl) {
        events = BenchSetup.events(new PolicyTraffic(w, 1000 + SEEDS.incrementAndGet()), EVENTS, dnsbl);
    }

    MailEvent next() {
        return events[i++ & (EVENTS - 1)];
    }

    /** Counts {@code d}'s action and returns {@code d}. */
    Decision tally(Decision d) {
        actions[d.verdict().action().ordinal()]++;
        return d;
    }

    @TearDown(Level.Trial)
    public void report() {
        long total = 0;
        for (long a : actions) {
            total += a;
        }
        StringBuilder sb = new StringBuilder("action mix (" + Thread.currentThread().getName() + "):");
        for (Action a : Action.values()) {
            if (actions[a.ordinal()] > 0) {
                sb.append(String.format(Locale.ROOT, " %s %.1f%%", a.label(), 100.0 * actions[a.ordinal()]
                        / total));
            }
        }
        System.out.println(sb);
    }
}
