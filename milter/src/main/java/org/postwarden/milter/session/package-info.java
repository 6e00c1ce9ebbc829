/**
 * Per-connection milter state: what was negotiated ({@link org.postwarden.milter.session.Negotiation}), the
 * connection's macros and facts, the current transaction, and the content fingerprint
 * ({@link org.postwarden.milter.session.ContentFingerprint}).
 *
 * <p>Thread-safety: a session is confined to its channel's event loop; {@code Negotiation} is immutable.
 * Limits: {@value org.postwarden.milter.session.MilterSession#MAX_MACROS} macros and
 * {@value org.postwarden.milter.session.MilterSession#MAX_REASONS} report reasons per connection; the fingerprint
 * keeps 256 characters of Subject and {@code milter.fingerprint.body-prefix-bytes} of body. Macros of one stage are
 * not cleared when the next message starts: Postfix resends them (an empty {@code i} until the queue file exists).
 */
package org.postwarden.milter.session;
