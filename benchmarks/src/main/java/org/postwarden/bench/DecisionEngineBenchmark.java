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
import org.postwarden.engine.DecisionEngine;
import org.postwarden.metrics.PostwardenMetrics;
import org.postwarden.model.MailEvent;
import org.postwarden.model.TimeSource;
import org.postwarden.reputation.memory.MemoryReputationStore;
import org.postwarden.rules.Rules;
import org.postwarden.verdict.Action;
import org.postwarden.verdict.Decision;

import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@link DecisionEngine#decideNow} on realistic RCPT events ({@link PolicyTraffic}: sessions of 100,000 distinct
 * IPv4 clients with Zipf skew, 2% bots doing relay attempts with generic HELOs, 5% SASL submissions), all checks on,
 * Prometheus metrics as in the daemon, system clock. Every client has been seen once before measuring.
 *
 * <p>{@code config=default}: the embedded default (plus the workload's local domains). At benchmark speed the hot
 * clients exceed the default per-host limits within a second, so most decisions are 450 defers: this measures the
 * refusal path. {@code config=high}: {@code bench-daemon.yaml} (limits 1000x), mostly DUNNO: the common path.
 * The action mix of each run is printed at the end of the trial.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 4, time = 2)
@Measurement(iterations = 5, time = 2)
public class DecisionEngineBenchmark {
    static final int EVENTS = 1 << 17;
    private static final AtomicInteger SEEDS = new AtomicInteger();

    @Param({"default", "high"})
    public String config;

    DecisionEngine engine;
    Workload workload;

    @Setup
    public void setup() {
        Rules rules = new Rules(BenchConfig.load(config));
        engine = new DecisionEngine(rules, new MemoryReputationStore(rules.storeSettings(), TimeSource.SYSTEM),
                PostwardenMetrics.prometheus());
        workload = new Workload();
        // Every client once, so the measured part mostly finds existing keys.
        PolicyTraffic warm = new PolicyTraffic(workload, -1);
        for (int i = 0; i < workload.clients(); i++) {
            PolicyTraffic.Rcpt r = warm.next();
            engine.decideNow(new MailEvent("policy", org.postwarden.model.SmtpStage.RCPT, workload.inet(i),
                    r.clientPort(), workload.clientName(i), workload.helo(i), r.sender(), r.recipient(), "",
                    r.instance(), "", 0, 0));
        }
    }

    /** Pre-built events per benchmark thread (generation cost is not measured), and the action tally. */
    @State(Scope.Thread)
    public static class Events {
        MailEvent[] events;
        int i;
        final long[] actions = new long[Action.values().length];

        @Setup
        public void setup(DecisionEngineBenchmark b) {
            PolicyTraffic t = new PolicyTraffic(b.workload, 1000 + SEEDS.incrementAndGet());
            events = new MailEvent[EVENTS];
            for (int k = 0; k < EVENTS; k++) {
                events[k] = t.toEvent(t.next());
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
        Decision d = engine.decideNow(e.next());
        e.actions[d.verdict().action().ordinal()]++;
        return d;
    }
}
