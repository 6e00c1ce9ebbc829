/**
 * Postfix milter listener ({@code smtpd_milters}): a Netty server on jmilter's packet codec that turns milter
 * commands into {@link org.postwarden.model.MailEvent}s for the shared engine and its verdicts into milter replies.
 * It sees what the policy protocol cannot: the end of a connection (concurrent sessions per client) and the message
 * content (report header, fingerprints for outbound fan-out, quarantine to the hold queue).
 *
 * <p>Pipeline per connection: connection limit → idle close → bounded {@code MilterFrameDecoder} (ours) →
 * jmilter {@code Int32LenFrameEncoder} / {@code MilterPacketDecoder} / {@code MilterPacketEncoder} →
 * {@code MilterSessionHandler} with {@code MilterReplies} (ours). The server, the connection limit, the idle close and
 * the error handling are {@code org.postwarden.transport}'s. jmilter's gateway manager, command engine and handler base are not used; see
 * {@code milter/README.md} for why (unbounded framer in a fixed pipeline, synchronous reply state that breaks with
 * asynchronous decisions, DNS lookups of connect addresses, stdout logging).
 *
 * <p>Thread-safety: per-channel decoder, session and handler; shared, lock-free connection limit; jmilter's
 * encoders are stateless. Known limits: the listen address is fixed at start (a reload does not rebind); the
 * open-session gauge lives in the store, so a reload that rebuilds the store starts it from zero for sessions
 * already open.
 */
package org.postwarden.milter;
