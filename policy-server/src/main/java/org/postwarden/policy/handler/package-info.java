/**
 * The policy business handler: one per connection, answers requests in order, applies the time budget and the
 * configured fallback ({@link org.postwarden.transport.TimeBudget}), and closes connections on protocol errors with
 * an escaped log sample ({@link org.postwarden.transport.ConnectionErrors}). The connection limit and the idle close
 * in front of it are {@code org.postwarden.transport}'s.
 *
 * <p>Thread-safety: per-channel handler; the ordering chain is only touched on the channel's event loop.
 * Known limits: a decision that completes after its time budget is discarded (the fallback was already sent).
 */
package org.postwarden.policy.handler;
