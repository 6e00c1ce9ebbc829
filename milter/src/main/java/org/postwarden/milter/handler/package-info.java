/**
 * The milter business handler ({@link org.postwarden.milter.handler.MilterSessionHandler}): one per connection,
 * protocol order checks, decisions within the time budget and the configured fallback, replies; plus the shared
 * connection limit and the milter's metrics.
 *
 * <p>Thread-safety: the session handler and its session are confined to the channel's event loop; decisions that
 * complete elsewhere hop back onto it. The connection limit is shared and lock-free. Known limits: one command
 * waits for its reply at a time (Postfix never pipelines milter commands; a peer that does is disconnected); a
 * decision that completes after its time budget is discarded (the fallback was already sent).
 */
package org.postwarden.milter.handler;
