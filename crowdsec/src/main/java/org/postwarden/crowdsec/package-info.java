/**
 * CrowdSec's Local API (LAPI), both ways. {@link org.postwarden.crowdsec.DecisionSync} turns the decision stream
 * ({@code /v1/decisions/stream}) into bans through the engine API (reason {@code crowdsec}, until the decision
 * expires) and lifts them when CrowdSec deletes the decision; {@link org.postwarden.crowdsec.BanPush} turns
 * Postwarden's own new bans into alerts with a ban decision for {@code /v1/alerts}. {@link org.postwarden.crowdsec.Lapi}
 * speaks HTTP with the JDK's {@code HttpClient.sendAsync}; {@link org.postwarden.crowdsec.CrowdSecListener} runs both
 * on its own thread, never on an event loop.
 *
 * <p>Thread-safety: {@code DecisionSync} and {@code BanPush} are confined to the listener's thread (one round at a
 * time). Known limits: decisions on scopes other than Ip and Range, and on ranges other than the prefix lengths
 * Postwarden bans, are skipped (counted); a ban from CrowdSec counts as an offense of its key for escalation; after
 * a restart the active own bans are pushed again (CrowdSec then holds two decisions for each).
 */
package org.postwarden.crowdsec;
