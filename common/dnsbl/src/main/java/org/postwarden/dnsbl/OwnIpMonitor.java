package org.postwarden.dnsbl;

import org.postwarden.dnsbl.zone.DnsblZone;
import org.postwarden.dnsbl.zone.ZoneKind;
import org.postwarden.model.TimeSource;
import org.postwarden.model.Addresses;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Watches our own addresses ({@code networks.own-addresses}, with the deprecated {@code dnsbl.own-ips}) in the
 * client-IP zones: which zone lists which of them (for the gauge {@code postwarden_dnsbl_own_ip_listed{zone}} and
 * {@code ctl status}), a WARN and a {@link DnsblWatch} report when one becomes listed, an INFO and a report when it
 * is delisted: once per listing, never once per check. Each check asks the zones afresh (not through the answer
 * cache, so a delisting shows at the next check). An address counts as listed in a zone when an entry with a weight
 * of 0 or more matches (allowlist listings are good news). A failed lookup, and an answer of a zone that scores
 * nothing now (failing, or switched off by its probe), keep the previous state. Thread-safe; never blocks.
 */
final class OwnIpMonitor {
    private static final Logger LOG = LoggerFactory.getLogger(DnsblClient.class);

    /** A listing: the codes, and since when (epoch ms of the check that first saw it). */
    record Listing(String codes, long sinceMillis) {
    }

    private final List<InetAddress> ips;
    private final Zone[] zones;
    private final QuerySender sender;
    private final TimeSource time;
    private final Supplier<DnsblWatch> watch;
    /** Per client-IP zone domain: our addresses it lists. */
    private final Map<String, Map<InetAddress, Listing>> listed = new ConcurrentHashMap<>();
    private volatile long lastCheckMillis;

    OwnIpMonitor(List<InetAddress> ips, Zone[] clientZones, QuerySender sender, TimeSource time,
            Supplier<DnsblWatch> watch) {
        this.ips = List.copyOf(ips);
        this.zones = clientZones;
        this.sender = sender;
        this.time = time;
        this.watch = watch;
        for (Zone z : this.zones) {
            listed.put(z.domain, new ConcurrentHashMap<>());
        }
    }

    /** Whether there is anything to check: own addresses and client-IP zones. */
    boolean active() {
        return !ips.isEmpty() && zones.length > 0;
    }

    int addresses() {
        return ips.size();
    }

    /** Takes over what {@code previous} knew, for the (zone, address) pairs both watch: no second report. */
    void inherit(OwnIpMonitor previous) {
        for (Map.Entry<String, Map<InetAddress, Listing>> e : listed.entrySet()) {
            Map<InetAddress, Listing> before = previous.listed.get(e.getKey());
            if (before != null) {
                before.forEach((ip, l) -> {
                    if (ips.contains(ip)) {
                        e.getValue().put(ip, l);
                    }
                });
            }
        }
    }

    /** Checks every own address against every client-IP zone now. Returns, per zone, the listed addresses. */
    CompletableFuture<Map<String, List<InetAddress>>> check() {
        if (!active()) {
            return CompletableFuture.completedFuture(listed());
        }
        List<CompletableFuture<Void>> fs = new ArrayList<>(ips.size() * zones.length);
        for (InetAddress ip : ips) {
            String prefix = QueryNames.reversed(ip);
            for (Zone z : zones) {
                String name = prefix + "." + z.queryDomain;
                fs.add(sender.query(ZoneKind.CLIENT_IP, z, name, Addresses.format(ip))
                        .thenAccept(a -> update(ip, z, a.result())));
            }
        }
        return CompletableFuture.allOf(fs.toArray(CompletableFuture[]::new)).handle((v, t) -> {
            if (t != null) {
                LOG.warn("own-address DNSBL check failed: {}", t.toString());
            }
            lastCheckMillis = time.millis();
            return listed();
        });
    }

    private void update(InetAddress ip, Zone z, DnsblResult r) {
        if (r instanceof DnsblResult.Failed || z.failing()) {
            return;
        }
        String codes = null;
        if (r instanceof DnsblResult.Listed l) {
            for (DnsblZone e : z.entries) {
                if (e.weight() >= 0 && e.matches(l.codes())) {
                    codes = l.codesText();
                    break;
                }
            }
        }
        Map<InetAddress, Listing> m = listed.get(z.domain);
        String shown = Addresses.format(ip);
        if (codes != null) {
            if (m.putIfAbsent(ip, new Listing(codes, time.millis())) == null) {
                LOG.warn("our outbound address {} is listed in DNSBL zone {} ({}): mail we send may be refused",
                        shown, z.domain, codes);
                String c = codes;
                report(() -> watch.get().ownAddressListed(ip, z.domain, c));
            }
        } else if (m.remove(ip) != null) {
            LOG.info("our outbound address {} is no longer listed in DNSBL zone {}", shown, z.domain);
            report(() -> watch.get().ownAddressDelisted(ip, z.domain));
        }
    }

    private static void report(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            LOG.warn("DNSBL monitor: reporting a change failed: {}", e.toString());
        }
    }

    /** Per client-IP zone, our own addresses it currently lists (as of the last check). */
    Map<String, List<InetAddress>> listed() {
        Map<String, List<InetAddress>> out = new LinkedHashMap<>();
        for (Zone z : zones) {
            out.put(z.domain, List.copyOf(listed.get(z.domain).keySet()));
        }
        return Collections.unmodifiableMap(out);
    }

    /** Every current listing, zone by zone in configuration order. */
    List<DnsblStatus.OwnListing> listings() {
        List<DnsblStatus.OwnListing> out = new ArrayList<>();
        for (Zone z : zones) {
            for (InetAddress ip : ips) {
                Listing l = listed.get(z.domain).get(ip);
                if (l != null) {
                    out.add(new DnsblStatus.OwnListing(Addresses.format(ip), z.domain, l.codes(), l.sinceMillis()));
                }
            }
        }
        return out;
    }

    /** How many of our addresses {@code zone} lists (0 for a zone that is not a client-IP zone). */
    double listedCount(String zone) {
        Map<InetAddress, Listing> m = listed.get(zone);
        return m == null ? 0 : m.size();
    }

    /** When the last check finished (epoch ms), 0 for never. */
    long lastCheckMillis() {
        return lastCheckMillis;
    }
}
