package org.postwarden.bench;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.postwarden.dnsbl.DnsblClient;
import org.postwarden.engine.DecisionEngine;
import org.postwarden.metrics.PostwardenMetrics;
import org.postwarden.model.TimeSource;
import org.postwarden.rules.Rules;
import org.postwarden.verdict.Decision;

/**
 * The cost of DNSBL scoring once answers are cached: {@link DecisionEngine#decide} on the same RCPT traffic as
 * {@link DecisionEngineBenchmark} ({@code bench-daemon.yaml}, limits 1000x), with {@code dnsbl=off} (no DNSBL check)
 * and {@code dnsbl=cached} ({@link BenchConfig#DNSBL_YAML}: two client-IP zones with three entries, one RHSBL zone
 * for HELO names and sender domains; every client, HELO name and sender domain of the measured events looked up
 * before measuring, TTLs 1h). Answers come from {@link StaticResolver} in-process: the 2% bots are listed in the
 * blocklist, every 20th client in the allowlist, spam sender domains in the RHSBL. The goal: {@code cached} within
 * 10% of {@code off}.
 */
@State(Scope.Benchmark)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
@Warmup(iterations = 3, time = 2)
public class DnsblBenchmark extends BenchDefaults {
    @Param({"off", "cached"})
    public String dnsbl;

    DecisionEngine engine;
    DnsblClient client;
    Workload workload;

    @Setup
    public void setup() {
        Rules rules = new Rules(BenchConfig.load("dnsbl"));
        workload = new Workload();
        PostwardenMetrics metrics = PostwardenMetrics.prometheus();
        if (dnsbl.equals("cached")) {
            client = new DnsblClient(rules.dnsbl(), StaticResolver.forWorkload(workload), metrics, TimeSource.SYSTEM);
        }
        engine = BenchSetup.engine(rules, metrics, client);
        BenchSetup.everyClientOnce(workload, e -> engine.decide(e).toCompletableFuture().join());
    }

    @TearDown
    public void close() {
        if (client != null) {
            client.close();
        }
    }

    /** Pre-built events per benchmark thread, their DNSBL answers cached, and the action tally. */
    @State(Scope.Thread)
    public static class Events extends RcptEvents {
        @Setup
        public void setup(DnsblBenchmark b) {
            fill(b.workload, b.client);
        }
    }

    @Benchmark
    public Decision decide(Events e) {
        return e.tally(engine.decide(e.next()).toCompletableFuture().join());
    }
}
