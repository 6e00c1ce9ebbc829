/**
 * Ban export: a Postfix {@code cidr:} table of the active bans (for {@code postscreen_access_list} and
 * {@code check_client_access}), written atomically with an optional reload command, and an optional nftables
 * command per new ban (off by default).
 *
 * <p>Thread-safety: {@link org.postwarden.ingest.export.BanExporter} runs on one thread of its own (never an event
 * loop); commands block it for at most {@code bans.export.command-timeout} each, at most 100 per round. Limits: a
 * ban lifted by an admin stays in an nftables set until its element times out (there is no delete command).
 */
package org.postwarden.ingest.export;
