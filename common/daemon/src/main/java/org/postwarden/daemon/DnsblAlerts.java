package org.postwarden.daemon;

import org.postwarden.model.Addresses;
import org.postwarden.dnsbl.DnsblWatch;
import org.postwarden.model.TimeSource;
import org.postwarden.outbound.Alert;
import org.postwarden.outbound.AlertSink;

import java.net.InetAddress;
import java.util.Map;

/**
 * The DNSBL monitor's changes as alerts through the daemon's sinks ({@code outbound.alerts}: log line, metric,
 * webhook, mail), one per change. Kinds (bounded, the metric label of {@code postwarden_alerts_total}):
 * {@code dnsbl-own-listed}, {@code dnsbl-own-delisted}, {@code dnsbl-zone-off}, {@code dnsbl-zone-on}. Thread-safe;
 * never blocks (the sinks deliver on their own threads).
 */
final class DnsblAlerts implements DnsblWatch {
    private final AlertSink sink;
    private final TimeSource time;

    DnsblAlerts(AlertSink sink, TimeSource time) {
        this.sink = sink;
        this.time = time;
    }

    @Override
    public void ownAddressListed(InetAddress address, String zone, String codes) {
        String a = Addresses.format(address);
        sink.raise(new Alert("dnsbl-own-listed", "address:" + a, "our address " + a + " is listed in DNSBL zone "
                + zone + " (" + codes + "): mail we send from it may be refused",
                Map.of("address", a, "zone", zone, "codes", codes), time.millis()));
    }

    @Override
    public void ownAddressDelisted(InetAddress address, String zone) {
        String a = Addresses.format(address);
        sink.raise(new Alert("dnsbl-own-delisted", "address:" + a, "our address " + a
                + " is no longer listed in DNSBL zone " + zone, Map.of("address", a, "zone", zone), time.millis()));
    }

    @Override
    public void zoneSwitchedOff(String zone, String why) {
        sink.raise(new Alert("dnsbl-zone-off", "zone:" + zone, "DNSBL zone " + zone + " is switched off and "
                + "scores nothing: " + why, Map.of("zone", zone, "why", why), time.millis()));
    }

    @Override
    public void zoneSwitchedOn(String zone) {
        sink.raise(new Alert("dnsbl-zone-on", "zone:" + zone, "DNSBL zone " + zone + " passes its probe again "
                + "and scores again", Map.of("zone", zone), time.millis()));
    }
}
