/**
 * The outbound guard: learns each sender's normal (SASL users; unauthenticated clients in {@code networks.trusted}
 * per sender domain) and stops the abnormal at once without losing a message. {@link
 * org.postwarden.outbound.SenderProfile} holds the counts and decaying baselines, {@link
 * org.postwarden.outbound.OutboundGuard} decides and keeps suspensions, {@link
 * org.postwarden.outbound.OutboundSnapshot} persists both; {@code alert} delivers alerts (log, metric, webhook,
 * mail) and {@code queue} watches the Postfix queue and runs postsuper.
 *
 * <p>Thread-safety: the guard is shared by every listener and the log ingester; profiles are locked one at a time,
 * suspensions live in a concurrent map. Event-path methods never block; release, purge and the queue watcher run
 * commands and must stay off event loops.
 *
 * <p>Limits: message counts need an event at DATA or END-OF-MESSAGE (policy in {@code smtpd_data_restrictions} or
 * {@code smtpd_end_of_data_restrictions}, or the milter); identical content needs the milter; the failure share
 * needs delivery log lines (ingest). Held messages are found again for release by queue id, by owner, or by
 * envelope sender since the suspension began.
 */
package org.postwarden.outbound;
