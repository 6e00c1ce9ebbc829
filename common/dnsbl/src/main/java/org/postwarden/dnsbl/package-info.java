/**
 * DNSBL, DNSWL and RHSBL lookups: zone entries in postscreen's syntax ({@link org.postwarden.dnsbl.zone.DnsblZoneParser},
 * {@link org.postwarden.dnsbl.zone.CodeFilter}), query names ({@link org.postwarden.dnsbl.QueryNames}), and the cached,
 * asynchronous {@link org.postwarden.dnsbl.DnsblClient} whose answers are values
 * ({@link org.postwarden.dnsbl.DnsblResult}: listed, not listed, failed) — NXDOMAIN is "not listed", never an
 * exception. This package looks things up and says what the zones answered; it never decides: the engine's
 * {@code DnsblCheck} turns matching entries into weights for the score.
 *
 * <p>Thread-safety: the client is thread-safe and never blocks its caller (dnsjava's async API, its own two
 * threads and timer; no Netty event loop ever waits on DNS). Zones, filters and settings are immutable.
 *
 * <p>Known limits: one resolver for all zones; IPv4 answers (A records) only; client-supplied names that are not
 * plain ASCII host names (IDN, address literals) are not looked up; a zone whose domain expired and now lists
 * everything with sane-looking codes is not detected (only error codes and answers outside 127.0.0.0/8 are); a
 * timed-out query is remembered as failed for {@code failure-ttl} even if its late answer arrives.
 */
package org.postwarden.dnsbl;
