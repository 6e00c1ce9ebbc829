package org.postwarden.authpolicy;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.PrematureChannelClosureException;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.util.ReferenceCountUtil;
import org.postwarden.authpolicy.codec.ApiSecret;
import org.postwarden.authpolicy.codec.AuthJson;
import org.postwarden.authpolicy.codec.AuthPolicyRequest;
import org.postwarden.authpolicy.codec.AuthPolicyRequestDecoder;
import org.postwarden.authpolicy.codec.BoundedAggregator;
import org.postwarden.transport.ProtocolException;

import java.util.Arrays;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fuzzes the auth-policy request parsing with Jazzer (regression mode over {@code AuthPolicyFuzzTestInputs/<method>/}
 * in {@code ./mvnw verify}; {@code JAZZER_FUZZ=1} fuzzes, see docs/fuzzing.md): the JSON reader ({@link AuthJson})
 * reads at most its bounds or refuses with {@link AuthJson.BadJson}; whole HTTP requests, in chunks of varying
 * size, through Netty's HTTP codec, the bounded aggregator and the {@link AuthPolicyRequestDecoder} end in
 * requests or a {@link ProtocolException} (an HTTP error answer), never anything else.
 */
class AuthPolicyFuzzTest {
    private static final int[] CHUNKS = {1, 9, 3, 200, 2, 1400, 31};
    private static final ApiSecret SECRET = ApiSecret.of("X-API-Key", "s3cret");

    @FuzzTest(maxDuration = "5m")
    void jsonBodiesAreReadWithinTheBoundsOrRefused(byte[] body) {
        try {
            Map<String, String> f = AuthJson.parse(body);
            assertTrue(f.size() <= AuthJson.MAX_FIELDS, "more than MAX_FIELDS fields");
            for (Map.Entry<String, String> e : f.entrySet()) {
                assertTrue(e.getValue().length() <= AuthJson.MAX_STRING, e.getKey());
            }
        } catch (AuthJson.BadJson refused) {
            // 400
        }
    }

    @FuzzTest(maxDuration = "5m")
    void httpRequestsDecodeOrAreRefused(byte[] input) {
        EmbeddedChannel ch = new EmbeddedChannel(new HttpServerCodec(4096, 8192, 8192), new BoundedAggregator(2048),
                new AuthPolicyRequestDecoder(SECRET));
        try {
            int at = 0;
            for (int i = 0; at < input.length && ch.isOpen(); i++) {
                int n = Math.min(CHUNKS[i % CHUNKS.length], input.length - at);
                try {
                    ch.writeInbound(Unpooled.wrappedBuffer(Arrays.copyOfRange(input, at, at + n)));
                } catch (ProtocolException refused) {
                    // an HTTP error answer
                } catch (DecoderException e) {
                    assertInstanceOf(ProtocolException.class, e.getCause(), e.toString());
                }
                at += n;
                Object o;
                while ((o = ch.readInbound()) != null) {
                    assertInstanceOf(AuthPolicyRequest.class, o);
                    ReferenceCountUtil.release(o);
                }
                while ((o = ch.readOutbound()) != null) {
                    ReferenceCountUtil.release(o);
                }
            }
        } finally {
            try {
                ch.finishAndReleaseAll();
            } catch (PrematureChannelClosureException hungUp) {
                // the input ended inside a request: a client that hangs up mid-request; the connection just closes
                // (kept as the seed client-hangs-up-mid-body, found by fuzzing)
            } catch (ProtocolException refused) {
                // ended inside the headers: the codec reports a failed request, refused as malformed (seed
                // client-hangs-up-in-headers, found by fuzzing)
            }
        }
    }
}
