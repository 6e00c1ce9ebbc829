package org.postwarden.policy.codec;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fuzzes the policy decoder with Jazzer: in {@code ./mvnw verify} over the seeds in
 * {@code PolicyDecoderFuzzTestInputs/<method>/} (regression mode), with {@code JAZZER_FUZZ=1} coverage-guided (see
 * docs/fuzzing.md). Any bytes, cut into chunks of varying sizes, decode into requests within the limits or are
 * refused with a {@link DecoderException} (the {@code ProtocolException} that closes the connection); nothing is
 * decoded after a refusal, nothing else is thrown.
 */
class PolicyDecoderFuzzTest {
    static final PolicyLimits LIMITS = new PolicyLimits(128, 16, 1024);
    private static final int[] CHUNKS = {1, 3, 7, 64, 2, 512, 13};

    @FuzzTest(maxDuration = "5m")
    void anyBytesDecodeWithinTheLimitsOrAreRefused(byte[] input) {
        EmbeddedChannel ch = new EmbeddedChannel(new PolicyRequestDecoder(LIMITS));
        boolean refused = false;
        try {
            int at = 0;
            for (int i = 0; at < input.length; i++) {
                int n = Math.min(CHUNKS[i % CHUNKS.length], input.length - at);
                boolean refusedBefore = refused;
                try {
                    ch.writeInbound(Unpooled.wrappedBuffer(Arrays.copyOfRange(input, at, at + n)));
                } catch (DecoderException e) {
                    assertTrue(!refused, "refused twice: nothing is looked at after a refusal");
                    refused = true;
                }
                at += n;
                Object o;
                while ((o = ch.readInbound()) != null) {
                    PolicyRequest r = (PolicyRequest) o;
                    assertTrue(!refusedBefore, "a request decoded after a refusal");
                    assertTrue(!r.attributes().isEmpty() && r.attributes().size() <= LIMITS.maxAttributes(),
                            r.toString());
                }
            }
        } finally {
            ch.finishAndReleaseAll();
        }
    }
}
