/**
 * The store interface: the one place reputation state lives ({@link org.postwarden.reputation.ReputationStore}).
 * It counts (sliding windows per client key level, per user, per message content), keeps decaying scores, bans and
 * offense history, session marks ({@link org.postwarden.reputation.Mark} builds every key) and typed tables of
 * everything else the core learns ({@link org.postwarden.reputation.StateKind}: failed-login scores of users,
 * network contributors, private-range traffic, outbound profiles and suspensions). It never decides.
 *
 * <p>Thread-safety: implementations are safe for concurrent use and never block on I/O in these calls. Known
 * limits: values in state tables are mutable objects guarding themselves (read-modify-write in place); a networked
 * implementation keeps them in a bounded local cache and writes them through, so two hosts may briefly disagree.
 */
package org.postwarden.reputation;
