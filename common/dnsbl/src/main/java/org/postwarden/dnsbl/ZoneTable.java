package org.postwarden.dnsbl;

import org.postwarden.dnsbl.zone.DnsblSettings;
import org.postwarden.dnsbl.zone.DnsblZone;
import org.postwarden.dnsbl.zone.ZoneKind;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The configured zones: per kind, the zone domains to ask (configuration order), each with its entries; per zone
 * domain, one {@link ZoneHealth} shared by its kinds. Fixed at construction; thread-safe (the health flags are the
 * only state that changes).
 */
final class ZoneTable {
    private final Zone[][] byKind = new Zone[ZoneKind.values().length][];
    private final Map<String, ZoneHealth> health = new LinkedHashMap<>();

    ZoneTable(DnsblSettings settings) {
        for (ZoneKind k : ZoneKind.values()) {
            List<Zone> list = new ArrayList<>();
            for (String d : settings.domains(k)) {
                ZoneHealth h = health.computeIfAbsent(d, ZoneHealth::new);
                List<DnsblZone> entries = settings.zones(k).stream().filter(z -> z.domain().equals(d)).toList();
                list.add(new Zone(d, settings.queryDomain(d), entries, h));
            }
            byKind[k.ordinal()] = list.toArray(Zone[]::new);
        }
    }

    /** The zones of {@code kind}, in configuration order (the array is shared: do not modify). */
    Zone[] of(ZoneKind kind) {
        return byKind[kind.ordinal()];
    }

    /** Whether any zone of {@code kind} is configured. */
    boolean has(ZoneKind kind) {
        return byKind[kind.ordinal()].length > 0;
    }

    /** Whether {@code domain} is configured and currently marked failing. */
    boolean failing(String domain) {
        ZoneHealth h = health.get(domain);
        return h != null && h.failing();
    }

    /** The health of {@code domain}, or null when it is not configured. */
    ZoneHealth health(String domain) {
        return health.get(domain);
    }

    /** Every configured zone domain, each once, in configuration order (kind by kind). */
    Set<String> domains() {
        return Collections.unmodifiableSet(health.keySet());
    }
}
