package org.postwarden.policy.codec;

/** Hard limits of the request decoder. */
public record PolicyLimits(int maxLineLength, int maxAttributes, int maxRequestBytes) {
    public PolicyLimits {
        if (maxLineLength < 16) {
            throw new IllegalArgumentException("maxLineLength: " + maxLineLength + " (expected: >= 16)");
        }
        if (maxAttributes < 1) {
            throw new IllegalArgumentException("maxAttributes: " + maxAttributes + " (expected: >= 1)");
        }
        if (maxRequestBytes < maxLineLength) {
            throw new IllegalArgumentException("maxRequestBytes: " + maxRequestBytes + " (expected: >= maxLineLength)");
        }
    }
}
