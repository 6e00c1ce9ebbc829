package org.postwarden.bench;

import io.netty.channel.embedded.EmbeddedChannel;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.postwarden.model.MailEvent;
import org.postwarden.policy.codec.PolicyLimits;
import org.postwarden.policy.codec.PolicyRequest;
import org.postwarden.policy.codec.PolicyRequestDecoder;
import org.postwarden.policy.mapping.PolicyEventMapper;

/**
 * {@link PolicyRequestDecoder} on full Postfix 3.7 RCPT attribute sets (31 attributes, about 750 bytes, one request
 * per inbound buffer as Postfix writes it), in an {@link EmbeddedChannel} with the default limits; and the same
 * followed by {@link PolicyEventMapper#toEvent}.
 */
@State(Scope.Thread)
public class PolicyDecoderBenchmark extends PolicyChannelBenchmark {
    private static final int REQUESTS = 1024;

    @Setup
    public void setup() {
        open(new EmbeddedChannel(new PolicyRequestDecoder(new PolicyLimits(4096, 128, 65536))), 3, REQUESTS);
    }

    @Benchmark
    public PolicyRequest decode() {
        writeNext();
        return channel.readInbound();
    }

    @Benchmark
    public MailEvent decodeAndMap() {
        writeNext();
        PolicyRequest r = channel.readInbound();
        return PolicyEventMapper.toEvent(r);
    }
}
