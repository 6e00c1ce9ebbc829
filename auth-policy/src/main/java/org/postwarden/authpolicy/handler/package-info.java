/**
 * Answers auth-policy requests: request → attempt → engine → reply, in request order on each connection. An engine
 * failure is answered {@code {"status":0}} (fail open, as Dovecot does itself), counted in
 * {@code postwarden_fallbacks_total{listener="auth-policy",reason="error"}}. Protocol errors are answered with
 * their HTTP status and close this connection only. One handler per connection; the engine call never blocks.
 */
package org.postwarden.authpolicy.handler;
