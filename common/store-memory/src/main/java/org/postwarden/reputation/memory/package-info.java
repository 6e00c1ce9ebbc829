/**
 * The reputation store: it <em>counts</em> (sliding-window counters per client key level and per user), keeps
 * decaying scores, bans and short-lived session marks, and snapshots all of it. It never decides; the engine does.
 *
 * <p>Thread-safety: all public methods are safe for concurrent use. Per-key state is guarded by the key's own
 * monitor (short, non-blocking critical sections); maps are Caffeine caches bounded by configuration.
 *
 * <p>Known limits: counters are the usual two-bucket sliding-window approximation (exact at bucket edges, linear
 * interpolation in between, so at most one bucket's worth of over- or under-estimate); evicted keys lose their
 * counts (bounded memory wins over completeness).
 */
package org.postwarden.reputation.memory;
