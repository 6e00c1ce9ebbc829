package org.postwarden.milter.codec;

import io.netty.handler.codec.DecoderException;

/** Input that breaks the milter protocol; carries a bounded reason label and an escaped sample. */
public final class MilterProtocolException extends DecoderException {
    private static final long serialVersionUID = 1L;
    private final String reason;
    private final String sample;

    public MilterProtocolException(String reason, String message, String sample) {
        super(message);
        this.reason = reason;
        this.sample = sample;
    }

    /**
     * Bounded label for metrics: packet-too-large, empty-packet, unknown-command, out-of-order, pipelined,
     * malformed-packet.
     */
    public String reason() {
        return reason;
    }

    /** Escaped, truncated sample of the offending input (may be empty). */
    public String sample() {
        return sample;
    }
}
