/**
 * The in-memory reputation store, the default implementation of {@link org.postwarden.reputation.ReputationStore}:
 * it <em>counts</em> (sliding-window counters per client key level, per user, per content), keeps decaying scores,
 * bans and offense history, session marks ({@link org.postwarden.reputation.memory.MarkTable}) and the state tables
 * of every {@link org.postwarden.reputation.StateKind} ({@link org.postwarden.reputation.memory.StateTables}), and
 * snapshots all of it ({@link org.postwarden.reputation.memory.StoreSnapshot}, format 2; format 1 is read). Bans,
 * unbans and the entries of journaled state kinds are also appended at once to the
 * {@link org.postwarden.reputation.memory.StoreJournal} (format 1, fsync'd by its own thread, compacted after each
 * snapshot). A successor store (a reload with another counter layout) shares bans, offenses, marks, tables and
 * journal with its predecessor. It never decides; the engine does.
 *
 * <p>Thread-safety: all public methods are safe for concurrent use. Per-key state is guarded by the key's own
 * monitor (short, non-blocking critical sections); maps are Caffeine caches bounded by configuration; marks are
 * striped tables with a lock per stripe.
 *
 * <p>Known limits: counters are the usual two-bucket sliding-window approximation (exact at bucket edges, linear
 * interpolation in between, so at most one bucket's worth of over- or under-estimate); evicted keys lose their
 * counts (bounded memory wins over completeness); restored session marks start a new generation, so after a restart
 * they may live up to one lifetime longer than they would have.
 */
package org.postwarden.reputation.memory;
