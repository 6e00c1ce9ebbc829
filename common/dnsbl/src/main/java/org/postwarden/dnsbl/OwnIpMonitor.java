package org.postwarden.dnsbl;

import org.postwarden.dnsbl.zone.DnsblSettings;
import org.postwarden.dnsbl.zone.DnsblZone;
import org.postwarden.dnsbl.zone.ZoneKind;
import org.postwarden.model.Addresses;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Watches our own outbound addresses ({@code dnsbl.own-ips}) in the client-IP zones: which zone lists which of
 * them (for the gauge {@code postwarden_dnsbl_own_ip_listed{zone}}), a WARN when one becomes listed and an INFO
 * when it is delisted. Lookups go through the client's cache like any other. Thread-safe; never blocks.
 */
final class OwnIpMonitor {
    private static final Logger LOG = LoggerFactory.getLogger(DnsblClient.class);

    private final DnsblSettings settings;
    private final Zone[] zones;
    private final AnswerCache cache;
    private final ScheduledExecutorService timer;
    /** Per client-IP zone domain: our addresses it lists, with the codes. */
    private final Map<String, Map<InetAddress, String>> listed = new ConcurrentHashMap<>();
    private volatile boolean closed;

    OwnIpMonitor(DnsblSettings settings, ZoneTable zones, AnswerCache cache, ScheduledExecutorService timer) {
        this.settings = settings;
        this.zones = zones.of(ZoneKind.CLIENT_IP);
        this.cache = cache;
        this.timer = timer;
        for (Zone z : this.zones) {
            listed.put(z.domain, new ConcurrentHashMap<>());
        }
    }

    /**
     * Checks every own address against every client-IP zone now. An address counts as listed in a zone when an
     * entry with a weight of 0 or more matches (allowlist listings are good news); a failed lookup keeps the
     * previous state. Returns, per zone, the listed addresses.
     */
    CompletableFuture<Map<String, List<InetAddress>>> check() {
        List<InetAddress> ips = settings.ownIps();
        if (zones.length == 0 || ips.isEmpty() || closed) {
            return CompletableFuture.completedFuture(listed());
        }
        List<CompletableFuture<DnsblAnswers>> fs = new ArrayList<>(ips.size());
        for (InetAddress ip : ips) {
            fs.add(cache.target(ZoneKind.CLIENT_IP, ip));
        }
        return CompletableFuture.allOf(fs.toArray(CompletableFuture[]::new)).thenApply(v -> {
            for (int i = 0; i < ips.size(); i++) {
                update(ips.get(i), fs.get(i).join());
            }
            return listed();
        });
    }

    private void update(InetAddress ip, DnsblAnswers a) {
        for (Zone z : zones) {
            DnsblResult r = a.result(z.domain);
            if (r == null || r instanceof DnsblResult.Failed) {
                continue;
            }
            String codes = null;
            if (r instanceof DnsblResult.Listed l && !z.failing()) {
                for (DnsblZone e : z.entries) {
                    if (e.weight() >= 0 && e.matches(l.codes())) {
                        codes = l.codesText();
                        break;
                    }
                }
            }
            Map<InetAddress, String> m = listed.get(z.domain);
            if (codes != null) {
                if (m.put(ip, codes) == null) {
                    LOG.warn("our outbound address {} is listed in DNSBL zone {} ({}): mail we send may be refused",
                            Addresses.format(ip), z.domain, codes);
                }
            } else if (m.remove(ip) != null) {
                LOG.info("our outbound address {} is no longer listed in DNSBL zone {}", Addresses.format(ip),
                        z.domain);
            }
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

    /** How many of our addresses {@code zone} lists (0 for a zone that is not a client-IP zone). */
    double listedCount(String zone) {
        Map<InetAddress, String> m = listed.get(zone);
        return m == null ? 0 : m.size();
    }

    /**
     * Starts the periodic check ({@code dnsbl.own-ip-check-interval}, first run at once) on the timer, when own
     * addresses and client-IP zones are configured. It stops when the timer is shut down.
     */
    void start() {
        if (settings.ownIps().isEmpty() || zones.length == 0 || closed) {
            return;
        }
        long every = settings.ownIpCheckInterval().toMillis();
        timer.scheduleWithFixedDelay(() -> {
            try {
                check().whenComplete((r, t) -> {
                    if (t != null) {
                        LOG.warn("own-IP DNSBL check failed: {}", settings.redact(t.toString()));
                    }
                });
            } catch (RuntimeException e) {
                LOG.warn("own-IP DNSBL check failed: {}", settings.redact(e.toString()));
            }
        }, 0, every, TimeUnit.MILLISECONDS);
        LOG.info("checking {} own address(es) against {} DNSBL zone(s) every {}", settings.ownIps().size(),
                zones.length, Duration.ofMillis(every));
    }

    /** No further checks start. */
    void close() {
        closed = true;
    }
}
