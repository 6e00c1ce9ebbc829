/**
 * Parsers for Postfix (postscreen, smtpd, tlsproxy; 3.5 to 3.11 forms) and Dovecot login-process log lines, one
 * class per program, producing typed {@link org.postwarden.ingest.parse.LogEvent}s; and the delivery agents'
 * result lines ({@code status=sent|deferred|bounced}), which are delivery results, not score signals.
 *
 * <p>Hostile input: a line's length is checked before anything else looks at it, parsing is {@code indexOf} and
 * {@code startsWith} only (no regular expressions, so nothing can backtrack), client-supplied text is escaped and
 * truncated ({@link org.postwarden.text.LogSafe}) and addresses are IP literals only (never DNS).
 *
 * <p>Thread-safety: the parsers are stateless; {@link org.postwarden.ingest.parse.Timestamps} (year inference for
 * classic syslog stamps) synchronises internally. Known limits: classic stamps carry no year and no zone: the year
 * is inferred from the reader's clock and follows the stream over New Year; the zone is this host's.
 */
package org.postwarden.ingest.parse;
