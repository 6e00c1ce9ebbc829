package org.postwarden.dnsbl;

import org.postwarden.dnsbl.zone.DnsblZone;

import java.util.List;

/**
 * One zone domain of one kind: asked once per target; its configured entries are matched against the answer.
 * Immutable, but for the health it shares with the entries of the same domain of every kind.
 */
final class Zone {
    /** The configured domain: what logs, metrics and explanations name. */
    final String domain;
    /** The domain queries go to (with the DQS key where one is configured): never logged. */
    final String queryDomain;
    final List<DnsblZone> entries;
    final ZoneHealth health;

    Zone(String domain, String queryDomain, List<DnsblZone> entries, ZoneHealth health) {
        this.domain = domain;
        this.queryDomain = queryDomain;
        this.entries = entries;
        this.health = health;
    }

    boolean failing() {
        return health.failing();
    }
}
