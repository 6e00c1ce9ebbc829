package org.postwarden.bench;

import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import org.openjdk.jmh.annotations.TearDown;

/**
 * A benchmark of policy-protocol handlers on an {@link EmbeddedChannel}, fed pre-built full RCPT requests of the
 * workload (one per pooled direct buffer, as Postfix writes them), released after the trial.
 */
public abstract class PolicyChannelBenchmark extends BenchDefaults {
    EmbeddedChannel channel;
    private ByteBuf[] requests;
    private int i;

    /** Measures on {@code ch}, with {@code n} (a power of two) requests of traffic from {@code seed}. */
    void open(EmbeddedChannel ch, long seed, int n) {
        channel = ch;
        requests = BenchSetup.requests(new PolicyTraffic(new Workload(), seed), n);
    }

    /** Writes the next request into the channel (a retained duplicate: the buffer is sent again later). */
    void writeNext() {
        channel.writeInbound(requests[i++ & (requests.length - 1)].retainedDuplicate());
    }

    @TearDown
    public void tearDown() {
        channel.finishAndReleaseAll();
        for (ByteBuf b : requests) {
            b.release();
        }
    }
}
