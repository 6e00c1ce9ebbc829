/**
 * Wire format of the policy protocol: {@code name=value} lines ended by an empty line, replies {@code action=...}
 * plus an empty line. Every limit (line length, attribute count, request bytes) is enforced while bytes arrive, so
 * hostile input never buffers more than the limits allow.
 *
 * <p>Thread-safety: the decoder holds per-connection state (one instance per channel); the encoder is sharable.
 */
package org.postwarden.policy.codec;
