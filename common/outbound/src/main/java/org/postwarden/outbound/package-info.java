/**
 * The outbound guard: learns each sender's normal (SASL users; unauthenticated clients in {@code networks.trusted}
 * per sender domain) and stops the abnormal at once without losing a message. {@link
 * org.postwarden.outbound.SenderProfile} holds the counts and decaying baselines, {@link
 * org.postwarden.outbound.OutboundGuard} decides (and suspends), {@link org.postwarden.outbound.SuspensionDesk}
 * lists, releases and purges suspensions and picks what the queue watcher holds (running postsuper), {@link
 * org.postwarden.outbound.OutboundState} declares what the guard keeps as kinds of store state, and {@link
 * org.postwarden.outbound.OutboundSnapshot} reads the state file of earlier versions once, to import it; {@code
 * alert} delivers alerts (log, metric, webhook, mail) and {@code queue} watches the Postfix queue and runs postsuper.
 *
 * <p>State: nothing of its own. Profiles, suspensions (with their held count, senders and queue ids), the owners of
 * queue ids and the messages already counted as held are tables of the reputation store ({@code
 * ReputationStore.table}), bounded and expiring per kind and persisted by the store snapshot, so a networked store
 * can hold them like the rest. An engine passes its rules and store with each event; the calls without an engine
 * (admin, queue watcher, delivery results) use the rules and store the daemon sets at start and on reload.
 *
 * <p>Thread-safety: the guard is shared by every listener and the log ingester; profiles are locked one at a time,
 * suspensions guard their own sets, the tables are the store's. Event-path methods never block; release, purge and
 * the queue watcher run commands and must stay off event loops.
 *
 * <p>Limits: message counts need an event at DATA or END-OF-MESSAGE (policy in {@code smtpd_data_restrictions} or
 * {@code smtpd_end_of_data_restrictions}, or the milter); identical content needs the milter; the failure share
 * needs delivery log lines (ingest). Held messages are found again for release by queue id, by owner, or by
 * envelope sender since the suspension began. A suspension keeps at most 32 senders and 20,000 queue ids; at most
 * 100,000 suspensions are kept (the least recently used would go first).
 */
package org.postwarden.outbound;
