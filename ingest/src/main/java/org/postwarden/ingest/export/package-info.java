/**
 * Ban export: a Postfix {@code cidr:} table of the active bans (for {@code postscreen_access_list} and
 * {@code check_client_access}), written atomically with an optional reload command; the nftables sets
 * ({@code bans.export.nftables}: {@code inet postwarden banned4/banned6}, one atomic {@code nft -f} batch holding
 * every active ban with its remaining time as timeout, on each change, at start-up and every resync interval); and
 * the older per-ban nftables command. All off by default.
 *
 * <p>Thread-safety: {@link org.postwarden.ingest.export.BanExporter} (cidr map) and
 * {@link org.postwarden.ingest.export.NftablesExporter} each run on one thread of their own (never an event loop, and
 * never each other's: a slow nft does not delay the map); commands block their thread for at most
 * {@code bans.export.command-timeout} each. Limits: the per-ban command cannot remove an element (a lifted ban stays
 * in such a set until its timeout); the sets can, and are rewritten whole, which costs one nft run per change of the
 * bans (coalesced to at most two a second).
 */
package org.postwarden.ingest.export;
