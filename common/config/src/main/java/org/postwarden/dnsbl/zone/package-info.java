/**
 * DNSBL zone specifications as configured: entries in postscreen's syntax {@code domain[=d.d.d.d][*weight]}
 * ({@link org.postwarden.dnsbl.zone.DnsblZoneParser} into {@link org.postwarden.dnsbl.zone.DnsblZone}), return-code
 * patterns ({@link org.postwarden.dnsbl.zone.CodeFilter}), what a zone is asked about
 * ({@link org.postwarden.dnsbl.zone.ZoneKind}) and everything the DNSBL client needs
 * ({@link org.postwarden.dnsbl.zone.DnsblSettings}, including the Spamhaus DQS key and its file). Parse errors are
 * {@link java.lang.IllegalArgumentException}s whose message says what is wrong and what was expected; the config
 * validator reports them with the key. No DNS is queried here (that is {@code org.postwarden.dnsbl}).
 *
 * <p>Thread-safety: every type is immutable; the parsers are stateless.
 *
 * <p>Known limits: return codes are IPv4 ({@code 127.x.y.z}) only; a zone name is only checked for its syntax, not
 * that it exists or answers; the DQS key must be 16 to 64 letters and digits, and a zone entry that embeds it is
 * refused rather than split; {@code DnsblSettings#toString} and {@code redact} hide the key, other code must not
 * log it.
 */
package org.postwarden.dnsbl.zone;
