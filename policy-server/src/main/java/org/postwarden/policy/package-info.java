/**
 * Postfix policy-delegation listener (SMTPD_POLICY_README): a Netty server that turns {@code name=value} requests
 * into {@link org.postwarden.model.MailEvent}s and the engine's verdicts into {@code action=...} replies.
 *
 * <p>Pipeline per connection: connection limit → idle close (both {@code org.postwarden.transport}'s, as is the
 * server) → bounded {@code PolicyRequestDecoder} → {@code PolicyReplyEncoder} → {@code PolicyHandler}. Replies go
 * out in request order even when decisions complete out of order.
 * Thread-safety: decoders and handlers are per channel; the connection limiter is shared and lock-free.
 * Known limits: the listen address is fixed at start (a reload does not rebind).
 */
package org.postwarden.policy;
