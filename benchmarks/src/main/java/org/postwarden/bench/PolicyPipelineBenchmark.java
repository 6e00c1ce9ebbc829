package org.postwarden.bench;

import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.postwarden.config.PostwardenConfig;
import org.postwarden.engine.DecisionEngine;
import org.postwarden.metrics.PostwardenMetrics;
import org.postwarden.model.TimeSource;
import org.postwarden.policy.codec.PolicyLimits;
import org.postwarden.policy.codec.PolicyReplyEncoder;
import org.postwarden.policy.codec.PolicyRequestDecoder;
import org.postwarden.policy.handler.PolicyHandler;
import org.postwarden.rules.Rules;
import org.postwarden.runtime.DaemonContext;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * The policy listener's whole per-request CPU work without the network: decoder, {@link PolicyHandler} (mapping,
 * engine, reply mapping, ordering chain), reply encoder, on an {@link EmbeddedChannel}, with the load benchmark's
 * daemon configuration ({@code bench-daemon.yaml}). The difference between this and the load generator's per-request
 * cost is sockets, event-loop scheduling and the generator itself.
 */
@State(Scope.Thread)
public class PolicyPipelineBenchmark extends PolicyChannelBenchmark {
    private static final int REQUESTS = 1 << 16;

    @Setup
    public void setup() {
        PostwardenConfig config = BenchConfig.load("high");
        DecisionEngine engine = BenchSetup.engine(new Rules(config), PostwardenMetrics.prometheus(), null);
        DaemonContext context = new DaemonContext(engine, engine.metrics(), TimeSource.SYSTEM);
        PostwardenConfig.Policy p = config.policy();
        open(new EmbeddedChannel(
                new PolicyRequestDecoder(new PolicyLimits(p.maxLineLength(), p.maxAttributes(),
                        p.maxRequestBytes())),
                new PolicyReplyEncoder(),
                new PolicyHandler(context, new AtomicInteger())), 5, REQUESTS);
    }

    @Benchmark
    public int request() {
        writeNext();
        ByteBuf reply = channel.readOutbound();
        int n = reply.readableBytes();
        reply.release();
        return n;
    }
}
