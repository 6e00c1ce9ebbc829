package org.postwarden.policy.codec;

import io.netty.handler.codec.DecoderException;

/** Input that is not a valid policy request; carries a bounded reason label and an escaped sample. */
public final class PolicyProtocolException extends DecoderException {
    private static final long serialVersionUID = 1L;
    private final String reason;
    private final String sample;

    public PolicyProtocolException(String reason, String message, String sample) {
        super(message);
        this.reason = reason;
        this.sample = sample;
    }

    /** Bounded label for metrics: line-too-long, too-many-attributes, request-too-large, malformed-line, binary. */
    public String reason() {
        return reason;
    }

    /** Escaped, truncated sample of the offending input. */
    public String sample() {
        return sample;
    }
}
