package org.postwarden.dnsbl;

/** What one zone answered for one query name, and until when that holds ({@code TimeSource#nanos()} scale). */
record ZoneAnswer(DnsblResult result, long expiresAtNanos) {
}
