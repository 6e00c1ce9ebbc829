/**
 * The validated configuration compiled for fast evaluation: {@link org.postwarden.rules.Rules} holds the parsed
 * networks, HELO patterns, counter layouts, signal weights and check toggles, the DNSBL settings (see
 * {@link org.postwarden.dnsbl.zone}), the networks a client is judged by besides its own levels as
 * {@link org.postwarden.rules.NetworkTier}s (the IPv4 /24, the tiers of {@code networks.ipv6-tiers}), and the
 * {@code bans:} section compiled as {@link org.postwarden.rules.BanRules}.
 * Rules builds and uses BanRules; BanRules does not depend on Rules (both share the package-private network-list
 * helper).
 *
 * <p>Thread-safety: both are immutable once built and safe for concurrent use; a reload builds new ones.
 *
 * <p>Known limits: they expect a configuration that {@link org.postwarden.config.load.ConfigLoader} has validated
 * and throw unchecked exceptions for one that was not; network lists are searched linearly, which suits lists of
 * tens of entries, not of thousands; the DQS key file is read when Rules is built (with {@code dnsbl.enabled}), so
 * a key changed on disk takes effect at the next reload.
 */
package org.postwarden.rules;
