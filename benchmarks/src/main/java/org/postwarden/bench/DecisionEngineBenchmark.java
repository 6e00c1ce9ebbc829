package org.postwarden.bench;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.postwarden.engine.DecisionEngine;
import org.postwarden.metrics.PostwardenMetrics;
import org.postwarden.rules.Rules;
import org.postwarden.verdict.Decision;

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
public class DecisionEngineBenchmark extends BenchDefaults {
    @Param({"default", "high"})
    public String config;

    DecisionEngine engine;
    Workload workload;

    @Setup
    public void setup() {
        Rules rules = new Rules(BenchConfig.load(config));
        engine = BenchSetup.engine(rules, PostwardenMetrics.prometheus(), null);
        workload = new Workload();
        BenchSetup.everyClientOnce(workload, engine::decideNow);
    }

    /** Pre-built events per benchmark thread, and the action tally. */
    @State(Scope.Thread)
    public static class Events extends RcptEvents {
        @Setup
        public void setup(DecisionEngineBenchmark b) {
            fill(b.workload, null);
        }
    }

    @Benchmark
    public Decision decide(Events e) {
        return e.tally(engine.decideNow(e.next()));
    }
}
