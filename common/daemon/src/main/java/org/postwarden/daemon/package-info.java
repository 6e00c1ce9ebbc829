/**
 * Wiring and lifecycle, nothing else: {@link org.postwarden.daemon.Daemon} builds the store, the engine and its
 * parts once, restores the snapshot, starts the listeners that protocol modules contribute through
 * {@link org.postwarden.runtime.ListenerFactory} (Java {@link java.util.ServiceLoader}, so {@code common} never
 * depends on a protocol module), writes snapshots, reloads and stops. {@link org.postwarden.daemon.Engines} builds
 * engines for offline work (replay).
 * All state is the store's and is persisted by its snapshot, the outbound guard's profiles and suspensions
 * included; bans and suspensions also go to the store's journal at once (opened and replayed at start after the
 * snapshot, compacted after each snapshot). A corrupt snapshot leaves the daemon serving but not ready until
 * {@link org.postwarden.daemon.Daemon#acknowledgeCorrupt} ({@code store.on-corrupt}). An outbound state file of an
 * earlier version ({@code outbound.state-path}) is imported once at start, after the snapshot is restored, and
 * renamed.
 *
 * <p>Thread-safety: every listener holds the one {@link org.postwarden.daemon.CurrentEngine}; a reload puts a new
 * engine generation behind it (a volatile write), so listeners never stop. Snapshots and maintenance run on a
 * background thread of their own, never on an event loop. Known limits: listeners start in discovery order, and
 * one that fails to bind stops the start-up with its error; a reload that changes the counter layout moves to a
 * successor store that shares bans, tables and journal at once and takes the counters over once the decisions
 * running on the old engine have ended (waited for up to 30 s); a later write to the old store goes to the new one.
 * Only a count written into an old entry at the very instant it is copied can be lost, never a ban.
 */
package org.postwarden.daemon;
