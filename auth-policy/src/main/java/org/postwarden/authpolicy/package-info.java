/**
 * Dovecot's authentication policy server ({@code auth_policy_server_url}): a Netty HTTP/1.1 listener (default
 * {@code 127.0.0.1:10036}, off by default) that turns Dovecot's {@code POST ?command=allow|report} JSON into
 * {@link org.postwarden.api.AuthAttempt}s and the engine's {@link org.postwarden.api.AuthVerdict}s into
 * {@code {"status":N,"msg":"..."}}.
 *
 * <p>Pipeline per connection: connection limit → idle close → request deadline (a request must be complete within
 * {@code auth-policy.request-timeout} of its first byte, and its bytes count against
 * {@code auth-policy.max-buffered-bytes} over all connections until then: the transport's {@code RequestDeadline}
 * and {@code InputBudget}) → Netty's HTTP codec (request line 4 KiB, headers 8 KiB) →
 * bounded aggregation ({@code auth-policy.max-request-bytes}) → {@code AuthPolicyRequestDecoder} (method, command,
 * API header, bounded JSON) → {@code AuthPolicyReplyEncoder} → {@code AuthPolicyHandler}. Many requests per
 * connection (keep-alive), answered in order.
 *
 * <p>Thread-safety: codecs and handlers are per channel; the connection limiter and the API secret are shared and
 * immutable or lock-free. The engine call never blocks (it reads and writes the store only). Failure contract: a
 * malformed request gets its 4xx and the connection is closed (counted and logged); an engine failure is answered
 * {@code {"status":0}} (Dovecot's own fail-open), counted in {@code postwarden_fallbacks_total}. Known limits: the
 * listen address is fixed at start; plain HTTP only (keep it on loopback or a private network).
 */
package org.postwarden.authpolicy;
