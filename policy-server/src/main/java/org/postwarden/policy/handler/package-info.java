/**
 * The policy business handler: one per connection, answers requests in order, applies the time budget and the
 * configured fallback, and closes connections on protocol errors with an escaped log sample.
 *
 * <p>Thread-safety: per-channel handler; the ordering chain is only touched on the channel's event loop.
 * Known limits: a decision that completes after its time budget is discarded (the fallback was already sent).
 */
package org.postwarden.policy.handler;
