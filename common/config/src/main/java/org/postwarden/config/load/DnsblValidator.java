package org.postwarden.config.load;

import org.postwarden.config.Durations;
import org.postwarden.config.PostwardenConfig;
import org.postwarden.dnsbl.zone.CodeFilter;
import org.postwarden.dnsbl.zone.DnsblSettings;
import org.postwarden.dnsbl.zone.DnsblZoneParser;
import org.postwarden.dnsbl.zone.ZoneKind;
import org.postwarden.model.Cidr;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The {@code dnsbl:} section. Its syntax is checked even while {@code dnsbl.enabled} is false; turning it on also
 * needs a zone, a readable DQS key where a DQS zone is listed, and a wait shorter than the listeners' time budgets.
 * The DQS key is a secret: no error shows it, neither from {@code dnsbl.dqs-key}, nor from a zone that embeds it,
 * nor from the key file.
 */
final class DnsblValidator {
    private DnsblValidator() {
    }

    /** {@code policy} and {@code milter} may be null (reported by their checks); their budgets are then skipped. */
    static void validate(PostwardenConfig.Dnsbl d, PostwardenConfig.Policy policy, PostwardenConfig.Milter milter,
            Problems p) {
        p.optionalHostPort("dnsbl.resolver", d.resolver());
        p.duration("dnsbl.timeout", d.timeout(), Duration.ofMillis(1), Duration.ofSeconds(30));
        p.duration("dnsbl.query-timeout", d.queryTimeout(), Duration.ofMillis(10), Duration.ofSeconds(60));
        p.wholeNumber("dnsbl.max-in-flight", d.maxInFlight(), 1, 100_000);
        p.wholeNumber("dnsbl.max-in-flight-helo", d.maxInFlightHelo(), 1, 100_000);
        p.wholeNumber("dnsbl.max-in-flight-sender", d.maxInFlightSender(), 1, 100_000);
        p.ifPresent("dnsbl.cache", d.cache(), k -> cache(k, p));
        boolean dqsZone = zones("dnsbl.zones", d.zones(), ZoneKind.CLIENT_IP, p);
        dqsZone |= zones("dnsbl.rhsbl-helo", d.rhsblHelo(), ZoneKind.RHSBL_HELO, p);
        dqsZone |= zones("dnsbl.rhsbl-sender", d.rhsblSender(), ZoneKind.RHSBL_SENDER, p);
        p.each("dnsbl.error-codes", d.errorCodes(), Problems.parsing(CodeFilter::parse,
                IllegalArgumentException::getMessage));
        boolean key = p.nonBlank("dnsbl.dqs-key", d.dqsKey());
        if (key && !DnsblSettings.validKey(d.dqsKey())) {
            p.fail("dnsbl.dqs-key", "(hidden, " + d.dqsKey().length() + " characters)",
                    "a Spamhaus DQS key: 16 to 64 letters and digits");
        }
        boolean keyFile = p.nonBlank("dnsbl.dqs-key-file", d.dqsKeyFile());
        if (key && keyFile) {
            p.fail("dnsbl.dqs-key-file", d.dqsKeyFile(), "empty when dnsbl.dqs-key is set (give the key once)");
        }
        p.each("dnsbl.own-ips", d.ownIps(), Problems.parsing(Cidr::parseAddress,
                e -> "an IP address like 192.0.2.25 or 2001:db8::25 (" + e.getMessage() + ")"));
        p.duration("dnsbl.own-ip-check-interval", d.ownIpCheckInterval(), Duration.ofSeconds(10), Duration.ofDays(7));
        p.ifPresent("dnsbl.probe", d.probe(), pr -> probe(d, pr, p));
        if (d.enabled()) {
            enabled(d, dqsZone, key, keyFile, p);
            budget(d.timeout(), "policy", policy != null && policy.enabled() ? policy.timeBudget() : null, p);
            budget(d.timeout(), "milter", milter != null && milter.enabled() ? milter.timeBudget() : null, p);
        }
    }

    /** {@code dnsbl.probe}: the interval's bounds; each exempt zone must be a configured zone's domain. */
    private static void probe(PostwardenConfig.Dnsbl d, PostwardenConfig.DnsblProbe pr, Problems p) {
        p.duration("dnsbl.probe.interval", pr.interval(), Duration.ofSeconds(10), Duration.ofDays(1));
        if (!p.present("dnsbl.probe.exempt-zones", pr.exemptZones())) {
            return;
        }
        java.util.Set<String> domains = new java.util.LinkedHashSet<>();
        for (List<String> l : java.util.Arrays.asList(d.zones(), d.rhsblHelo(), d.rhsblSender())) {
            for (String spec : l == null ? List.<String>of() : l) {
                try {
                    domains.add(DnsblZoneParser.parse(spec, ZoneKind.CLIENT_IP).domain());
                } catch (IllegalArgumentException e) {
                    // reported with its zone list
                }
            }
        }
        for (int i = 0; i < pr.exemptZones().size(); i++) {
            String z = pr.exemptZones().get(i);
            String n = z == null ? "" : z.trim().toLowerCase(java.util.Locale.ROOT).replaceFirst("\\.$", "");
            if (!domains.contains(n)) {
                p.fail("dnsbl.probe.exempt-zones[" + i + "]", z, "the domain of a configured zone (one of "
                        + domains + ")");
            }
        }
    }

    private static void cache(PostwardenConfig.DnsblCache k, Problems p) {
        p.wholeNumber("dnsbl.cache.size", k.size(), 100, 10_000_000);
        p.duration("dnsbl.cache.min-ttl", k.minTtl(), Duration.ZERO, Duration.ofDays(1));
        if (p.duration("dnsbl.cache.max-ttl", k.maxTtl(), Duration.ofSeconds(1), Duration.ofDays(7))
                && k.minTtl() != null && k.maxTtl().compareTo(k.minTtl()) < 0) {
            p.fail("dnsbl.cache.max-ttl", Durations.format(k.maxTtl()), "at least dnsbl.cache.min-ttl ("
                    + Durations.format(k.minTtl()) + ")");
        }
        p.duration("dnsbl.cache.failure-ttl", k.failureTtl(), Duration.ZERO, Duration.ofHours(1));
    }

    /** Validates zone entries; returns whether any is a Spamhaus DQS zone. */
    private static boolean zones(String key, List<String> list, ZoneKind kind, Problems p) {
        boolean dqs = false;
        if (!p.present(key, list)) {
            return false;
        }
        for (int i = 0; i < list.size(); i++) {
            String spec = list.get(i);
            if (spec != null && DnsblZoneParser.embedsDqsKey(spec)) {
                p.fail(key + "[" + i + "]", "(hidden: it looks like it contains a DQS key)",
                        "the zone without the key, e.g. zen.dq.spamhaus.net, and the key in dnsbl.dqs-key or "
                                + "dnsbl.dqs-key-file");
                continue;
            }
            try {
                dqs |= DnsblZoneParser.isDqs(DnsblZoneParser.parse(spec, kind).domain());
            } catch (IllegalArgumentException e) {
                p.fail(key + "[" + i + "]", spec, e.getMessage());
            }
        }
        return dqs;
    }

    /** What turning the section on needs: the DQS key when a DQS zone is listed, and a zone at all. */
    private static void enabled(PostwardenConfig.Dnsbl d, boolean dqsZone, boolean key, boolean keyFile,
            Problems p) {
        if (keyFile && !key) {
            try {
                DnsblSettings.readKeyFile(Path.of(d.dqsKeyFile()));
            } catch (IllegalArgumentException e) {
                p.fail("dnsbl.dqs-key-file", d.dqsKeyFile(), "a readable file with the key on its first line ("
                        + e.getMessage() + ")");
            }
        }
        if (dqsZone && !key && !keyFile) {
            p.fail("dnsbl.dqs-key", "", "a key when a zone under dq.spamhaus.net is listed (or dnsbl.dqs-key-file)");
        }
        if (empty(d.zones()) && empty(d.rhsblHelo()) && empty(d.rhsblSender())) {
            p.fail("dnsbl.zones", "[]", "at least one zone in dnsbl.zones, dnsbl.rhsbl-helo or dnsbl.rhsbl-sender "
                    + "when dnsbl.enabled is true");
        }
        if (d.timeout() != null && d.queryTimeout() != null && d.timeout().compareTo(d.queryTimeout()) > 0) {
            p.fail("dnsbl.timeout", Durations.format(d.timeout()), "at most dnsbl.query-timeout ("
                    + Durations.format(d.queryTimeout()) + ")");
        }
    }

    /**
     * The wait for DNS answers must end before the listener's time budget (null: the listener is off or has no
     * budget), or the listener answers its fallback before the lookups can count.
     */
    private static void budget(Duration timeout, String listener, Duration timeBudget, Problems p) {
        if (timeout != null && timeBudget != null && timeout.compareTo(timeBudget) >= 0) {
            p.fail("dnsbl.timeout", Durations.format(timeout), "less than " + listener + ".time-budget ("
                    + Durations.format(timeBudget) + "), or every slow lookup ends in the " + listener
                    + " fallback instead of a decision");
        }
    }

    private static boolean empty(List<String> l) {
        return l == null || l.isEmpty();
    }
}
