package org.postwarden.transport;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.DecoderException;
import org.postwarden.text.LogSafe;

import java.nio.charset.StandardCharsets;

/**
 * Input that breaks a listener's protocol: a bounded {@link #reason() reason} label for metrics
 * ({@code postwarden_protocol_errors_total{listener,reason}}), a message for the log line, and a sample of the
 * offending bytes, escaped with {@link LogSafe} (control and non-ASCII bytes as {@code \xHH}) and cut to a bound.
 * Codecs and protocol handlers throw it; {@link ConnectionErrors} logs it, counts it and closes the connection.
 * A {@link DecoderException}, so Netty passes it on from a decoder unwrapped or wrapped once.
 */
public final class ProtocolException extends DecoderException {
    private static final long serialVersionUID = 1L;
    private final String reason;
    private final String sample;

    /** Without a sample (the offending input is not worth showing, e.g. a single command byte). */
    public ProtocolException(String reason, String message) {
        this(reason, message, "", 0);
    }

    /** With a sample of at most {@code maxSample} characters from the start of {@code input}. */
    public ProtocolException(String reason, String message, byte[] input, int maxSample) {
        this(reason, message, new String(input, 0, Math.min(input.length, maxSample), StandardCharsets.ISO_8859_1),
                maxSample);
    }

    /**
     * With a sample of the {@code length} bytes of {@code in} from index {@code from} (fewer when the buffer ends
     * first), at most {@code maxSample} characters once escaped. Reads by index: the reader index is not moved.
     */
    public ProtocolException(String reason, String message, ByteBuf in, int from, int length, int maxSample) {
        this(reason, message, in.toString(from, Math.max(0, Math.min(length, in.writerIndex() - from)),
                StandardCharsets.ISO_8859_1), maxSample);
    }

    private ProtocolException(String reason, String message, String raw, int maxSample) {
        super(message);
        this.reason = reason;
        this.sample = LogSafe.escape(raw, maxSample);
    }

    /** Bounded label for metrics, from the protocol's fixed set (e.g. line-too-long, packet-too-large, pipelined). */
    public String reason() {
        return reason;
    }

    /** Escaped, truncated sample of the offending input (may be empty). */
    public String sample() {
        return sample;
    }
}
