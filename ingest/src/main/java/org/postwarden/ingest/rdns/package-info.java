/**
 * Research scanners (shodan, censys, shadowserver, binaryedge, stretchoid, ...) recognised by forward-confirmed
 * reverse DNS, so they are logged instead of banned.
 *
 * <p>Thread-safety: {@link org.postwarden.ingest.rdns.DnsScannerCheck} is thread-safe and asynchronous; it is only
 * asked when a ban is due, never per log line. Limits: at most 4 PTR names per address are confirmed; failures and
 * timeouts mean "not a scanner" and are not cached.
 */
package org.postwarden.ingest.rdns;
