/**
 * The milter business handler, one per connection: {@link org.postwarden.milter.handler.MilterSessionHandler}
 * checks the protocol order and dispatches each command by stage; {@code MilterReplies} answers it (decisions within
 * the time budget and the configured fallback, through {@link org.postwarden.transport.TimeBudget}; replies and
 * their metrics). Plus the milter's metrics. The connection limit, idle close and error handling are
 * {@code org.postwarden.transport}'s.
 *
 * <p>Thread-safety: the session handler, its replies and its session are confined to the channel's event loop;
 * decisions that complete elsewhere hop back onto it. Known limits: one command
 * waits for its reply at a time (Postfix never pipelines milter commands; a peer that does is disconnected); a
 * decision that completes after its time budget is discarded (the fallback was already sent).
 */
package org.postwarden.milter.handler;
