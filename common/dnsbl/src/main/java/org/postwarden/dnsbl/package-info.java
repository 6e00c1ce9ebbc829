/**
 * DNSBL, DNSWL and RHSBL lookups: zone entries in postscreen's syntax ({@link org.postwarden.dnsbl.zone.DnsblZoneParser},
 * {@link org.postwarden.dnsbl.zone.CodeFilter}), query names ({@link org.postwarden.dnsbl.QueryNames}), and the cached,
 * asynchronous {@link org.postwarden.dnsbl.DnsblClient} whose answers are values
 * ({@link org.postwarden.dnsbl.DnsblResult}: listed, not listed, failed) — NXDOMAIN is "not listed", never an
 * exception. This package looks things up and says what the zones answered; it never decides: the engine's
 * {@code DnsblCheck} turns matching entries into weights for the score.
 *
 * <p>Inside the client, the facade wires package-private parts with one job each: {@code QuerySender} builds and
 * sends the A queries (dnsjava's async API, the in-flight limit, the query timeout); {@code AnswerClassifier} makes
 * each answer listed, not listed or failed and sets its expiry (error return codes mark the zone failing);
 * {@code ZoneTable}, {@code Zone} and {@code ZoneHealth} hold the configured zones and which of them are failing
 * (gauge, log lines); {@code AnswerCache} memoizes answers, per-target summaries and per-event lookups over
 * {@code Memo} and shares computations in flight; {@code DnsMonitor} schedules the background checks (by the injected
 * time source, polled by the client's timer every second): {@code ZoneProber} asks every zone about its RFC 5782
 * test points and switches off a zone that lists what no list lists, {@code OwnIpMonitor} watches our own
 * addresses; both report each change once to a {@link org.postwarden.dnsbl.DnsblWatch} (the daemon's alerts) and
 * show in {@link org.postwarden.dnsbl.DnsblStatus}.
 * {@link org.postwarden.dnsbl.SenderPools}, greylisting's sender pools, shares {@code ReverseDns} (forward-confirmed
 * PTR names) with the scanner check, walks SPF records ({@code SpfRecord}, {@code SpfWalker},
 * {@link org.postwarden.dnsbl.SpfPolicy}) and takes registered domains from
 * {@link org.postwarden.dnsbl.RegisteredDomains}; it has two threads and a timer of its own.
 *
 * <p>Thread-safety: the client and all its parts are thread-safe and never block their caller (dnsjava's async
 * API, the client's own two threads and timer; no Netty event loop ever waits on DNS). Zones, filters and settings
 * are immutable; the only mutable state is in the memos, the zones' failing and switched-off flags, the last
 * probes, the own-IP listings and the in-flight count, all lock-free or concurrent maps.
 *
 * <p>Known limits: one resolver for all zones; IPv4 answers (A records) only; client-supplied names that are not
 * plain ASCII host names (IDN, address literals) are not looked up; a zone that starts listing everything is
 * caught by its next probe ({@code dnsbl.probe.interval}), not at once, and one that lists everything but its
 * test points is not caught at all; the configuration does not say which zones serve IPv6, so the IPv6 test point
 * is not required; a timed-out query is remembered as failed for {@code failure-ttl} even if its late answer
 * arrives; a zone's error-code state is per client (a reload that builds a new client starts with it clear), while
 * the probe state and the own-IP listings are handed to the new client; none of it survives a restart.
 */
package org.postwarden.dnsbl;
