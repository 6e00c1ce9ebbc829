package org.postwarden.policy.codec;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import org.postwarden.transport.ProtocolException;
import org.postwarden.transport.StrictDecoder;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Decodes {@code name=value\n} lines into {@link PolicyRequest}s, one per empty line. A trailing CR before LF is
 * tolerated. Violations throw a {@link ProtocolException} (the handler logs it and closes the connection) and
 * the decoder discards everything after ({@link StrictDecoder}). One instance per channel.
 */
public final class PolicyRequestDecoder extends StrictDecoder {
    private static final int SAMPLE = 100;
    private final PolicyLimits limits;
    private Map<String, String> attrs = new HashMap<>();
    private int requestBytes;

    public PolicyRequestDecoder(PolicyLimits limits) {
        this.limits = limits;
    }

    @Override
    protected void decodeStrictly(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        while (in.isReadable()) {
            int searchable = Math.min(in.readableBytes(), limits.maxLineLength() + 1);
            int eol = in.indexOf(in.readerIndex(), in.readerIndex() + searchable, (byte) '\n');
            if (eol < 0) {
                if (in.readableBytes() > limits.maxLineLength()) {
                    throw fail("line-too-long", "line longer than " + limits.maxLineLength() + " bytes", in,
                            in.readerIndex(), SAMPLE);
                }
                if (requestBytes + in.readableBytes() > limits.maxRequestBytes()) {
                    throw fail("request-too-large", "request larger than " + limits.maxRequestBytes() + " bytes",
                            in, in.readerIndex(), SAMPLE);
                }
                return;
            }
            int start = in.readerIndex();
            int length = eol - start;
            int consumed = length + 1;
            requestBytes += consumed;
            if (requestBytes > limits.maxRequestBytes()) {
                throw fail("request-too-large", "request larger than " + limits.maxRequestBytes() + " bytes", in,
                        start, Math.min(length, SAMPLE));
            }
            int end = eol;
            if (length > 0 && in.getByte(eol - 1) == '\r') {
                end--;
            }
            if (end == start) {
                in.skipBytes(consumed);
                if (attrs.isEmpty()) {
                    throw fail("malformed-line", "empty request", in, start, 0);
                }
                out.add(new PolicyRequest(attrs));
                attrs = new HashMap<>();
                requestBytes = 0;
                continue;
            }
            int eq = in.indexOf(start, end, (byte) '=');
            if (eq <= start) {
                throw fail("malformed-line", "line is not name=value", in, start, Math.min(end - start, SAMPLE));
            }
            for (int i = start; i < end; i++) {
                byte b = in.getByte(i);
                if (b >= 0 && b < 0x20 && b != '\t' || b == 0x7F) {
                    throw fail("binary", "control character 0x" + Integer.toHexString(b & 0xFF) + " in request", in,
                            start, Math.min(end - start, SAMPLE));
                }
            }
            String name = in.toString(start, eq - start, StandardCharsets.US_ASCII);
            String value = in.toString(eq + 1, end - eq - 1, StandardCharsets.UTF_8);
            in.skipBytes(consumed);
            if (attrs.put(name, value) == null && attrs.size() > limits.maxAttributes()) {
                throw fail("too-many-attributes", "more than " + limits.maxAttributes() + " attributes", in, start,
                        0);
            }
        }
    }

    /** The lines of the unfinished request already decoded (for the request deadline and the input budget). */
    @Override
    protected long heldBytes() {
        return requestBytes;
    }

    /**
     * The failure, with a sample of {@code len} bytes from {@code from} (all input after it is discarded). Reasons:
     * line-too-long, too-many-attributes, request-too-large, malformed-line, binary.
     */
    private ProtocolException fail(String reason, String message, ByteBuf in, int from, int len) {
        attrs = new HashMap<>();
        return new ProtocolException(reason, message, in, from, len, SAMPLE);
    }
}
