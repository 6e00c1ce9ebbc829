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
import org.postwarden.model.MailEvent;
import org.postwarden.policy.codec.PolicyLimits;
import org.postwarden.policy.codec.PolicyRequest;
import org.postwarden.policy.codec.PolicyRequestDecoder;
import org.postwarden.policy.mapping.PolicyEventMapper;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * {@link PolicyRequestDecoder} on full Postfix 3.7 RCPT attribute sets (31 attributes, about 750 bytes, one request
 * per inbound buffer as Postfix writes it), in an {@link EmbeddedChannel} with the default limits; and the same
 * followed by {@link PolicyEventMapper#toEvent}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 4, time = 2)
@Measurement(iterations = 5, time = 2)
public class PolicyDecoderBenchmark {
    private static final int REQUESTS = 1024;
    private EmbeddedChannel channel;
    private ByteBuf[] requests;
    private int i;

    @Setup
    public void setup() {
        channel = new EmbeddedChannel(new PolicyRequestDecoder(new PolicyLimits(4096, 128, 65536)));
        PolicyTraffic t = new PolicyTraffic(new Workload(), 3);
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
    public PolicyRequest decode() {
        channel.writeInbound(requests[i++ & (REQUESTS - 1)].retainedDuplicate());
        return channel.readInbound();
    }

    @Benchmark
    public MailEvent decodeAndMap() {
        channel.writeInbound(requests[i++ & (REQUESTS - 1)].retainedDuplicate());
        PolicyRequest r = channel.readInbound();
        return PolicyEventMapper.toEvent(r);
    }
}
