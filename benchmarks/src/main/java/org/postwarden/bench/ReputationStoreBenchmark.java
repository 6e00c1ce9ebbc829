package org.postwarden.bench;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.infra.Blackhole;
import org.postwarden.model.ClientKey;
import org.postwarden.model.KeyLevel;
import org.postwarden.reputation.CounterType;
import org.postwarden.reputation.ReputationStore;
import org.postwarden.rules.Rules;

import java.util.SplittableRandom;

/**
 * The reputation store's hot operations over 100,000 distinct IPv4 clients (and their 6,250 /24s) drawn with
 * Zipf skew ({@link Workload}), with the default configuration's counter layouts and the system clock. Every client
 * is in the store before measuring. {@code rcptStoreWork} is the store work the engine does for one RCPT request:
 * count a recipient on host and subnet, read both keys' estimates (rate-limit check) and scores (score check).
 */
@State(Scope.Benchmark)
public class ReputationStoreBenchmark extends BenchDefaults {
    private static final int SAMPLES = 1 << 20;
    private ReputationStore store;
    private ClientKey[] hosts;
    private ClientKey[] subnets;
    private int[] sample;

    /** Each benchmark thread walks the pre-drawn sample from its own offset. */
    @State(Scope.Thread)
    public static class Cursor {
        int i = (int) (Thread.currentThread().threadId() * 7919) & (SAMPLES - 1);

        int next() {
            return i++ & (SAMPLES - 1);
        }
    }

    @Setup
    public void setup() {
        Rules rules = new Rules(BenchConfig.load("embedded"));
        store = BenchSetup.store(rules);
        Workload w = new Workload();
        hosts = new ClientKey[w.clients()];
        subnets = new ClientKey[w.clients()];
        for (int i = 0; i < w.clients(); i++) {
            hosts[i] = ClientKey.of(w.inet(i), KeyLevel.HOST, rules.widePrefix());
            subnets[i] = ClientKey.of(w.inet(i), KeyLevel.SUBNET, rules.widePrefix());
            store.count(hosts[i], CounterType.CONNECTIONS, 1);
            store.count(subnets[i], CounterType.CONNECTIONS, 1);
        }
        SplittableRandom r = new SplittableRandom(7);
        sample = new int[SAMPLES];
        for (int i = 0; i < SAMPLES; i++) {
            sample[i] = w.sampleClient(r);
        }
    }

    @Benchmark
    public long[] count(Cursor c) {
        return store.count(hosts[sample[c.next()]], CounterType.RECIPIENTS, 1);
    }

    @Benchmark
    public long[] estimates(Cursor c) {
        return store.estimates(hosts[sample[c.next()]]);
    }

    @Benchmark
    public double addScore(Cursor c) {
        return store.addScore(hosts[sample[c.next()]], 0.5);
    }

    @Benchmark
    public void rcptStoreWork(Cursor c, Blackhole bh) {
        int k = sample[c.next()];
        bh.consume(store.count(hosts[k], CounterType.RECIPIENTS, 1));
        bh.consume(store.count(subnets[k], CounterType.RECIPIENTS, 1));
        bh.consume(store.estimates(hosts[k]));
        bh.consume(store.estimates(subnets[k]));
        bh.consume(store.score(hosts[k]));
        bh.consume(store.score(subnets[k]));
    }
}
