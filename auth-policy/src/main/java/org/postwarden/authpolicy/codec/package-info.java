/**
 * Bytes ⇄ auth-policy requests and replies: the bounded HTTP aggregation, the request decoder (it ends the
 * transport's {@link org.postwarden.transport.RequestDeadline} of each whole request)
 * (method, {@code command}, API header in constant time, bounded JSON) and the reply encoder.
 *
 * <p>Every limit is hard: request line 4 KiB, headers 8 KiB, body {@code auth-policy.max-request-bytes}, JSON at most
 * {@value org.postwarden.authpolicy.codec.AuthJson#MAX_FIELDS} fields, nesting
 * {@value org.postwarden.authpolicy.codec.AuthJson#MAX_DEPTH}, strings
 * {@value org.postwarden.authpolicy.codec.AuthJson#MAX_STRING} characters. A violation is a
 * {@link org.postwarden.transport.ProtocolException} whose reason maps to the HTTP status answered before the
 * connection is closed ({@link org.postwarden.authpolicy.codec.HttpProblems}). Thread-safety: one decoder per connection; the encoder and the secret are shared and stateless.
 */
package org.postwarden.authpolicy.codec;
