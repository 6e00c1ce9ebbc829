package org.postwarden.bench;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.postwarden.config.ConfigException;
import org.postwarden.config.load.ConfigLoader;
import org.postwarden.dnsbl.DnsblClient;
import org.postwarden.dnsbl.QueryNames;
import org.postwarden.engine.DecisionEngine;
import org.postwarden.metrics.PostwardenMetrics;
import org.postwarden.model.MailEvent;
import org.postwarden.model.SmtpStage;
import org.postwarden.model.TimeSource;
import org.postwarden.reputation.ReputationStore;
import org.postwarden.reputation.memory.MemoryReputationStore;
import org.postwarden.rules.Rules;
import org.postwarden.verdict.Action;
import org.postwarden.verdict.Decision;

import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The cost of DNSBL scoring once answers are cached: {@link DecisionEngine#decide} on the same RCPT traffic as
 * {@link DecisionEngineBenchmark} ({@code bench-daemon.yaml}, limits 1000x), with {@code dnsbl=off} (no DNSBL check)
 * and {@code dnsbl=cached} (two client-IP zones with three entries, one RHSBL zone for HELO names and sender domains;
 * every client, HELO name and sender domain of the measured events looked up before measuring, TTLs 1h). Answers
 * come from {@link StaticResolver} in-process: the 2% bots are listed in the blocklist, every 20th client in the
 * allowlist, spam sender domains in the RHSBL. The goal: {@code cached} within 10% of {@code off}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class DnsblBenchmark {
    static final int EVENTS = 1 << 17;
    private static final AtomicInteger SEEDS = new AtomicInteger();
    static final String DNSBL_YAML = """
            dnsbl:
              enabled: true
              resolver: 127.0.0.1:53
              cache: {size: 2000000, min-ttl: 1h, max-ttl: 1h}
              zones:
                - bl.bench.test=127.0.0.[10;11]*8
                - bl.bench.test=127.0.0.[2..9]*6
                - wl.bench.test=127.0.[0..255].[1..3]*-5
              rhsbl-helo:
                - dbl.bench.test=127.0.1.[2..99]*4
              rhsbl-sender:
                - dbl.bench.test=127.0.1.[2..99]*4
            """;

    @Param({"off", "cached"})
    public String dnsbl;

    DecisionEngine engine;
    DnsblClient client;
    Workload workload;

    @Setup
    public void setup() throws ConfigException {
        Rules rules = new Rules(ConfigLoader.load("bench-daemon.yaml + dnsbl",
                BenchConfig.resource(BenchConfig.DAEMON_RESOURCE) + DNSBL_YAML));
        workload = new Workload();
        PostwardenMetrics metrics = PostwardenMetrics.prometheus();
        ReputationStore store = new MemoryReputationStore(rules.storeSettings(), TimeSource.SYSTEM);
        if (dnsbl.equals("cached")) {
            client = new DnsblClient(rules.dnsbl(), StaticResolver.forWorkload(workload), metrics, TimeSource.SYSTEM);
            engine = new DecisionEngine(rules, store, metrics, client);
        } else {
            engine = new DecisionEngine(rules, store, metrics);
        }
        PolicyTraffic warm = new PolicyTraffic(workload, -1);
        for (int i = 0; i < workload.clients(); i++) {
            PolicyTraffic.Rcpt r = warm.next();
            engine.decide(new MailEvent("policy", SmtpStage.RCPT, workload.inet(i), r.clientPort(),
                    workload.clientName(i), workload.helo(i), r.sender(), r.recipient(), "", r.instance(), "", 0, 0))
                    .toCompletableFuture().join();
        }
    }

    @TearDown
    public void close() {
        if (client != null) {
            client.close();
        }
    }

    /** Pre-built events per benchmark thread, their DNSBL answers cached, and the action tally. */
    @State(Scope.Thread)
    public static class Events {
        MailEvent[] events;
        int i;
        final long[] actions = new long[Action.values().length];

        @Setup
        public void setup(DnsblBenchmark b) {
            PolicyTraffic t = new PolicyTraffic(b.workload, 1000 + SEEDS.incrementAndGet());
            events = new MailEvent[EVENTS];
            for (int k = 0; k < EVENTS; k++) {
                events[k] = t.toEvent(t.next());
                if (b.client != null) {
                    MailEvent e = events[k];
                    b.client.lookup(e.client(), QueryNames.normalizeDomain(e.heloName()),
                            e.sender().isEmpty() ? null : QueryNames.normalizeDomain(e.senderDomain())).join();
                }
            }
        }

        MailEvent next() {
            return events[i++ & (EVENTS - 1)];
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

    @Benchmark
    public Decision decide(Events e) {
        Decision d = engine.decide(e.next()).toCompletableFuture().join();
        e.actions[d.verdict().action().ordinal()]++;
        return d;
    }
}
