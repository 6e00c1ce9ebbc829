/**
 * What the admin API answers, computed from the running engine: {@code explain} for a client address or a SASL user
 * (scores per key level with their thresholds, counters with their limits, bans, recent decisions with the checks
 * that fired, signals with their ages), the live {@code report} (top offenders by score, by category and by message
 * rate), and the parsing of admin ban targets. Values are plain records; the HTTP adapter in {@code deploy}
 * serializes them and the CLI renders them.
 *
 * <p>Thread-safety: stateless; every method reads the store and the ring of recent decisions, which are safe for
 * concurrent use. Known limits: reports scan the whole store (O(keys), tens of milliseconds per million keys) and
 * run on the HTTP listener's own threads, never on an event loop; recent decisions and signal ages come from a
 * bounded in-memory ring ({@link org.postwarden.engine.RecentDecisions}), so older history is not shown. The
 * output holds addresses and user names: it is for authenticated admins only, never for metric labels.
 */
package org.postwarden.admin;
