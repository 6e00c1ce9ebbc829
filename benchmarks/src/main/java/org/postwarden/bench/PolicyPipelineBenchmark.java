package org.postwarden.bench;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.postwarden.config.PostwardenConfig;
import org.postwarden.engine.DecisionEngine;
import org.postwarden.metrics.PostwardenMetrics;
import org.postwarden.model.TimeSource;
import org.postwarden.policy.codec.PolicyLimits;
import org.postwarden.policy.codec.PolicyReplyEncoder;
import org.postwarden.policy.codec.PolicyRequestDecoder;
import org.postwarden.policy.handler.PolicyHandler;
import org.postwarden.reputation.memory.MemoryReputationStore;
import org.postwarden.rules.Rules;
import org.postwarden.runtime.DaemonContext;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The policy listener's whole per-request CPU work without the network: decoder, {@link PolicyHandler} (mapping,
 * engine, reply mapping, ordering chain), reply encoder, on an {@link EmbeddedChannel}, with the load benchmark's
 * daemon configuration ({@code bench-daemon.yaml}). The difference between this and the load generator's per-request
 * cost is sockets, event-loop scheduling and the generator itself.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 4, time = 2)
@Measurement(iterations = 5, time = 2)
public class PolicyPipelineBenchmark {
    private static final int REQUESTS = 1 << 16;
    private EmbeddedChannel channel;
    private ByteBuf[] requests;
    private int i;

    @Setup
    public void setup() {
        PostwardenConfig config = BenchConfig.load("high");
        Rules rules = new Rules(config);
        DecisionEngine engine = new DecisionEngine(rules, new MemoryReputationStore(rules.storeSettings(),
                TimeSource.SYSTEM), PostwardenMetrics.prometheus());
        DaemonContext context = new DaemonContext(engine, engine.metrics(), TimeSource.SYSTEM);
        PostwardenConfig.Policy p = config.policy();
        channel = new EmbeddedChannel(
                new PolicyRequestDecoder(new PolicyLimits(p.maxLineLength(), p.maxAttributes(),
                        p.maxRequestBytes())),
                new PolicyReplyEncoder(),
                new PolicyHandler(context, new AtomicInteger()));
        PolicyTraffic t = new PolicyTraffic(new Workload(), 5);
        requests = new ByteBuf[REQUESTS];
        StringBuilder sb = new StringBuilder(2048);
        for (int k = 0; k < REQUESTS; k++) {
            sb.setLength(0);
            PolicyTraffic.appendRequest(t.next(), sb);
            byte[] b = sb.toString().getBytes(StandardCharsets.US_ASCII);
            requests[k] = PooledByteBufAllocator.DEFAULT.directBuffer(b.length).writeBytes(b);
        }
    }

    @TearDown
    public void tearDown() {
        channel.finishAndReleaseAll();
        for (ByteBuf b : requests) {
            b.release();
        }
    }

    @Benchmark
    public int request() {
        channel.writeInbound(requests[i++ & (REQUESTS - 1)].retainedDuplicate());
        ByteBuf reply = channel.readOutbound();
        int n = reply.readableBytes();
        reply.release();
        return n;
    }
}
