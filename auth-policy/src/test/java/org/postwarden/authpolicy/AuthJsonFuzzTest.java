package org.postwarden.authpolicy;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpServerCodec;
import org.junit.jupiter.api.Test;
import org.postwarden.authpolicy.codec.ApiSecret;
import org.postwarden.authpolicy.codec.AuthJson;
import org.postwarden.authpolicy.codec.AuthPolicyRequest;
import org.postwarden.authpolicy.codec.AuthPolicyRequestDecoder;
import org.postwarden.authpolicy.codec.BoundedAggregator;
import org.postwarden.transport.ProtocolException;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Hostile input against the JSON reader and the request decoder: random mutations of Dovecot's request (seeded,
 * so a failure repeats) either decode or are refused with the listener's own error, never anything else.
 */
class AuthJsonFuzzTest {
    static final String VALID = "{\"device_id\":\"\",\"login\":\"bob@example.org\",\"protocol\":\"imap\","
            + "\"pwhash\":\"9f2\",\"remote\":\"192.0.2.7\",\"session_id\":\"X1bZ\",\"success\":false,"
            + "\"policy_reject\":false,\"nested\":{\"a\":\"b\"}}";

    @Test
    void theValidRequestReadsAsDovecotMeansIt() throws Exception {
        Map<String, String> f = AuthJson.parse(VALID.getBytes(StandardCharsets.UTF_8));
        assertEquals("bob@example.org", f.get("login"));
        assertEquals("false", f.get("success"));
        assertEquals("b", f.get("nested/a"));
        assertEquals(9, f.size());
    }

    @Test
    void mutatedJsonIsReadOrRefusedNeverThrowsAnythingElse() {
        Random r = new Random(15);
        byte[] base = VALID.getBytes(StandardCharsets.UTF_8);
        String alphabet = "{}[]\":,\\ntrufalse0123456789.eE+-\u0000\u00ff\uffff";
        int ok = 0;
        int refused = 0;
        for (int i = 0; i < 20_000; i++) {
            byte[] b = base.clone();
            int edits = 1 + r.nextInt(6);
            StringBuilder sb = new StringBuilder(new String(b, StandardCharsets.ISO_8859_1));
            for (int e = 0; e < edits && sb.length() > 0; e++) {
                int at = r.nextInt(sb.length());
                switch (r.nextInt(3)) {
                    case 0 -> sb.deleteCharAt(at);
                    case 1 -> sb.insert(at, alphabet.charAt(r.nextInt(alphabet.length())));
                    default -> sb.setCharAt(at, alphabet.charAt(r.nextInt(alphabet.length())));
                }
            }
            try {
                Map<String, String> f = AuthJson.parse(sb.toString().getBytes(StandardCharsets.UTF_8));
                assertTrue(f.size() <= AuthJson.MAX_FIELDS);
                ok++;
            } catch (AuthJson.BadJson expected) {
                refused++;
            } catch (RuntimeException e) {
                fail("input " + i + " threw " + e + ": " + sb);
            }
        }
        assertTrue(ok > 100 && refused > 100, ok + " read, " + refused + " refused");
    }

    @Test
    void randomBytesThroughTheWholeDecoderEndInARequestOrAProtocolError() {
        Random r = new Random(36);
        String valid = "POST /?command=report HTTP/1.1\r\nHost: x\r\nContent-Length: " + VALID.length() + "\r\n\r\n"
                + VALID;
        int decoded = 0;
        int refused = 0;
        for (int i = 0; i < 3000; i++) {
            byte[] b = valid.getBytes(StandardCharsets.ISO_8859_1);
            int edits = r.nextInt(4);
            for (int e = 0; e < edits; e++) {
                b[r.nextInt(b.length)] = (byte) r.nextInt(256);
            }
            EmbeddedChannel ch = new EmbeddedChannel(new HttpServerCodec(4096, 8192, 8192),
                    new BoundedAggregator(2048), new AuthPolicyRequestDecoder(ApiSecret.NONE));
            try {
                ch.writeInbound(Unpooled.wrappedBuffer(b));
                ch.finish();
                Object out;
                while ((out = ch.readInbound()) != null) {
                    assertTrue(out instanceof AuthPolicyRequest, String.valueOf(out));
                    decoded++;
                }
            } catch (ProtocolException expected) {
                refused++;
            } catch (io.netty.handler.codec.DecoderException e) {
                assertTrue(e.getCause() instanceof ProtocolException, e.toString());
                refused++;
            } finally {
                Object o;
                while ((o = ch.readOutbound()) != null) {
                    if (o instanceof FullHttpResponse res) {
                        res.release();
                    }
                }
                ch.finishAndReleaseAll();
            }
        }
        assertTrue(decoded > 50 && refused > 50, decoded + " decoded, " + refused + " refused");
    }
}
