package org.postwarden.dnsbl;

import java.util.List;

/**
 * What the DNSBL client's monitor knows, for {@code ctl status}: every zone's state and last probe, and which of our
 * own addresses are listed where. A snapshot: immutable.
 *
 * @param zones             every configured zone domain, in configuration order
 * @param ownAddresses      how many own addresses are checked
 * @param ownListed         our own addresses listed now, per zone
 * @param lastOwnCheckMillis when the last own-address check finished (epoch ms), 0 for never
 * @param probeIntervalSeconds how often zones are probed, 0 when probing is off
 * @param ownCheckIntervalSeconds how often own addresses are checked
 */
public record DnsblStatus(List<ZoneStatus> zones, int ownAddresses, List<OwnListing> ownListed,
        long lastOwnCheckMillis, long probeIntervalSeconds, long ownCheckIntervalSeconds) {

    public DnsblStatus {
        zones = List.copyOf(zones);
        ownListed = List.copyOf(ownListed);
    }

    /**
     * One zone domain.
     *
     * @param zone            the configured domain
     * @param kinds           what it is asked about ({@code client-ip}, {@code rhsbl-helo}, {@code rhsbl-sender})
     * @param state           {@code scoring}, {@code failing} (query-error codes), {@code switched-off} (its probe
     *                        failed) or {@code pending} (not probed yet: scores nothing until its first probe)
     * @param why             why it does not score, or null while it scores
     * @param lastProbe       {@code pass}, {@code fail}, {@code no-answer}, {@code none} (not probed yet) or
     *                        {@code exempt} ({@code dnsbl.probe.exempt-zones})
     * @param lastProbeMillis when the last probe finished (epoch ms), 0 for never
     * @param probeDetail     what the last probe found
     */
    public record ZoneStatus(String zone, List<String> kinds, String state, String why, String lastProbe,
            long lastProbeMillis, String probeDetail) {
        public ZoneStatus {
            kinds = List.copyOf(kinds);
        }
    }

    /** One of our addresses listed in one zone, since (epoch ms) the check that first saw it. */
    public record OwnListing(String address, String zone, String codes, long sinceMillis) {
    }
}
