/**
 * {@code postwarden replay}: old logs through the live parsers and ban policy on a throw-away store whose clock is
 * the logs' own time, producing the attack report admins otherwise build by hand (per category the top addresses,
 * networks and users, first and last seen) and the bans the current configuration would have issued.
 *
 * <p>Thread-safety: one replay runs on the calling thread. Limits: at most 2,000,000 distinct keys per report table;
 * no DNS (research scanners are not recognised); lines without a time stamp of their own take the last seen time.
 */
package org.postwarden.ingest.replay;
