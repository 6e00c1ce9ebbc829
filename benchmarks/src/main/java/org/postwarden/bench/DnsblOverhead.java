package org.postwarden.bench;

import org.postwarden.dnsbl.DnsblClient;
import org.postwarden.engine.DecisionEngine;
import org.postwarden.metrics.PostwardenMetrics;
import org.postwarden.model.MailEvent;
import org.postwarden.model.TimeSource;
import org.postwarden.rules.Rules;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * DNSBL overhead with cached answers, measured paired: the same events through two engines in one JVM — one
 * without DNSBL, one with {@link DnsblBenchmark}'s zones and every answer cached — in alternating slices (A B, B A,
 * ...), and the median of the per-round ratios. Drift in machine load hits both sides of a round alike, which
 * {@link DnsblBenchmark}'s forks one after the other cannot offer on a busy machine.
 *
 * <pre>java -cp benchmarks.jar org.postwarden.bench.DnsblOverhead --rounds 200 --slice 20000</pre>
 */
@Command(name = "dnsbl-overhead", mixinStandardHelpOptions = true,
        description = "Decision throughput with DNSBL (answers cached) vs without, paired and interleaved")
public final class DnsblOverhead implements Callable<Integer> {
    @Option(names = "--rounds", description = "measured rounds (default: ${DEFAULT-VALUE})")
    int rounds = 200;

    @Option(names = "--warmup-rounds", description = "unmeasured rounds first (default: ${DEFAULT-VALUE})")
    int warmupRounds = 60;

    @Option(names = "--slice", description = "decisions per engine per round (default: ${DEFAULT-VALUE})")
    int slice = 20_000;

    @Option(names = "--no-listings", description = "every answer NXDOMAIN: the lookup cost alone")
    boolean noListings;

    public static void main(String[] args) {
        System.exit(new CommandLine(new DnsblOverhead()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        Rules rules = new Rules(BenchConfig.load("dnsbl"));
        Workload w = new Workload();
        PostwardenMetrics metrics = PostwardenMetrics.prometheus();
        DecisionEngine off = BenchSetup.engine(rules, metrics, null);
        try (DnsblClient client = new DnsblClient(rules.dnsbl(), noListings ? new StaticResolver()
                : StaticResolver.forWorkload(w), metrics, TimeSource.SYSTEM)) {
            DecisionEngine on = BenchSetup.engine(rules, metrics, client);
            MailEvent[] events = BenchSetup.events(new PolicyTraffic(w, 4242), 1 << 17, client);
            BenchSetup.everyClientOnce(w, e -> {
                off.decide(e).toCompletableFuture().join();
                on.decide(e).toCompletableFuture().join();
            });
            double[] ratios = new double[rounds];
            double[] offNs = new double[rounds];
            double[] onNs = new double[rounds];
            int[] pos = {0, 0};
            long sink = 0;
            for (int r = -warmupRounds; r < rounds; r++) {
                boolean offFirst = (r & 1) == 0;
                long a = 0;
                long b = 0;
                for (int half = 0; half < 2; half++) {
                    boolean runOff = (half == 0) == offFirst;
                    DecisionEngine e = runOff ? off : on;
                    int p = pos[runOff ? 0 : 1];
                    long start = System.nanoTime();
                    for (int i = 0; i < slice; i++) {
                        sink += e.decide(events[(p + i) & (events.length - 1)]).toCompletableFuture().join()
                                .findings().size();
                    }
                    long ns = System.nanoTime() - start;
                    pos[runOff ? 0 : 1] = p + slice;
                    if (runOff) {
                        a = ns;
                    } else {
                        b = ns;
                    }
                }
                if (r >= 0) {
                    offNs[r] = (double) a / slice;
                    onNs[r] = (double) b / slice;
                    ratios[r] = (double) b / a;
                }
            }
            Arrays.sort(ratios);
            Arrays.sort(offNs);
            Arrays.sort(onNs);
            System.out.printf(Locale.ROOT, "rounds=%d slice=%d (sink %d)%n", rounds, slice, sink);
            System.out.printf(Locale.ROOT, "off     median %.0f ns/decision (%.0f decisions/s)%n", offNs[rounds / 2],
                    1e9 / offNs[rounds / 2]);
            System.out.printf(Locale.ROOT, "cached  median %.0f ns/decision (%.0f decisions/s)%n", onNs[rounds / 2],
                    1e9 / onNs[rounds / 2]);
            System.out.printf(Locale.ROOT, "cached/off per round: median %.3f, p25 %.3f, p75 %.3f%n",
                    ratios[rounds / 2], ratios[rounds / 4], ratios[3 * rounds / 4]);
        }
        return 0;
    }
}
