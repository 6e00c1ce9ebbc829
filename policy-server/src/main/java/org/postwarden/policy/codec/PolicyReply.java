package org.postwarden.policy.codec;

/** A reply to one policy request: the text after {@code action=}. */
public record PolicyReply(String action) {
}
