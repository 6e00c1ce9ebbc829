package org.postwarden.dnsbl.zone;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Everything the DNSBL client needs, compiled from the {@code dnsbl:} configuration section (see
 * {@code org.postwarden.rules.Rules}). Value semantics: a reload that leaves these equal keeps the running client
 * and its warm cache. {@link #toString()} never shows the DQS key.
 *
 * @param resolver           resolver address, or null for the system resolver ({@code /etc/resolv.conf})
 * @param timeout            how long one decision waits for answers; missing ones count as timeouts
 * @param queryTimeout       how long one DNS query may take; answers arriving after {@code timeout} still fill the cache
 * @param maxInFlight        DNS queries in flight at most; beyond, lookups fail at once ({@code overload})
 * @param cacheSize          entries per cache (answers per query name; summaries per looked-up target)
 * @param minTtl             answer TTLs are raised to at least this
 * @param maxTtl             and lowered to at most this
 * @param failureTtl         how long a failed query (timeout, SERVFAIL, error code) is remembered
 * @param zones              every zone entry, all kinds, in configuration order
 * @param errorCodes         return codes that mean "query error" (besides anything outside 127.0.0.0/8)
 * @param dqsKey             Spamhaus DQS key inserted into {@code *.dq.spamhaus.net} zones, or "" for none
 * @param ownIps             our own addresses ({@code networks.own-addresses} and the deprecated
 *                           {@code dnsbl.own-ips}), checked periodically against every client-IP zone
 * @param ownIpCheckInterval how often
 * @param probeInterval      how often every zone is probed at its RFC 5782 test points; zero: never
 * @param requireTestListing whether a zone that does not list its positive test point (127.0.0.2, TEST) fails
 * @param probeExemptZones   zone domains never probed (they always score)
 * @param maxInFlightHelo    RHSBL queries about HELO names in flight at most (their own budget)
 * @param maxInFlightSender  RHSBL queries about sender domains in flight at most (their own budget)
 */
public record DnsblSettings(InetSocketAddress resolver, Duration timeout, Duration queryTimeout, int maxInFlight,
        long cacheSize, Duration minTtl, Duration maxTtl, Duration failureTtl, List<DnsblZone> zones,
        List<CodeFilter> errorCodes, String dqsKey, List<InetAddress> ownIps, Duration ownIpCheckInterval,
        Duration probeInterval, boolean requireTestListing, List<String> probeExemptZones, int maxInFlightHelo,
        int maxInFlightSender) {

    private static final Pattern KEY = Pattern.compile("[a-z0-9]{16,64}");
    /** {@code dnsbl.probe.interval}'s default. */
    public static final Duration DEFAULT_PROBE_INTERVAL = Duration.ofMinutes(5);

    /** Settings with the default probe ({@link #DEFAULT_PROBE_INTERVAL}, test listing required). */
    public DnsblSettings(InetSocketAddress resolver, Duration timeout, Duration queryTimeout, int maxInFlight,
            long cacheSize, Duration minTtl, Duration maxTtl, Duration failureTtl, List<DnsblZone> zones,
            List<CodeFilter> errorCodes, String dqsKey, List<InetAddress> ownIps, Duration ownIpCheckInterval) {
        this(resolver, timeout, queryTimeout, maxInFlight, cacheSize, minTtl, maxTtl, failureTtl, zones, errorCodes,
                dqsKey, ownIps, ownIpCheckInterval, DEFAULT_PROBE_INTERVAL, true, List.of());
    }

    /** Settings whose RHSBL budgets are each {@code maxInFlight}. */
    public DnsblSettings(InetSocketAddress resolver, Duration timeout, Duration queryTimeout, int maxInFlight,
            long cacheSize, Duration minTtl, Duration maxTtl, Duration failureTtl, List<DnsblZone> zones,
            List<CodeFilter> errorCodes, String dqsKey, List<InetAddress> ownIps, Duration ownIpCheckInterval,
            Duration probeInterval, boolean requireTestListing, List<String> probeExemptZones) {
        this(resolver, timeout, queryTimeout, maxInFlight, cacheSize, minTtl, maxTtl, failureTtl, zones, errorCodes,
                dqsKey, ownIps, ownIpCheckInterval, probeInterval, requireTestListing, probeExemptZones, maxInFlight,
                maxInFlight);
    }

    /** The in-flight budget of the lookups of {@code kind} ({@code dnsbl.max-in-flight[-helo|-sender]}). */
    public int maxInFlight(ZoneKind kind) {
        return switch (kind) {
            case CLIENT_IP -> maxInFlight;
            case RHSBL_HELO -> maxInFlightHelo;
            case RHSBL_SENDER -> maxInFlightSender;
        };
    }

    public DnsblSettings {
        Objects.requireNonNull(probeInterval, "probeInterval");
        probeExemptZones = List.copyOf(probeExemptZones);
        Objects.requireNonNull(timeout, "timeout");
        Objects.requireNonNull(queryTimeout, "queryTimeout");
        Objects.requireNonNull(minTtl, "minTtl");
        Objects.requireNonNull(maxTtl, "maxTtl");
        Objects.requireNonNull(failureTtl, "failureTtl");
        zones = List.copyOf(zones);
        errorCodes = List.copyOf(errorCodes);
        ownIps = List.copyOf(ownIps);
        dqsKey = dqsKey == null ? "" : dqsKey.toLowerCase(Locale.ROOT);
        for (DnsblZone z : zones) {
            if (DnsblZoneParser.isDqs(z.domain()) && dqsKey.isEmpty()) {
                throw new IllegalArgumentException("zone " + z.domain() + " is a Spamhaus DQS zone and needs "
                        + "dnsbl.dqs-key or dnsbl.dqs-key-file");
            }
        }
    }

    /** The zone entries of one kind, in configuration order. */
    public List<DnsblZone> zones(ZoneKind kind) {
        return zones.stream().filter(z -> z.kind() == kind).toList();
    }

    /** The distinct zone domains of one kind, in configuration order (one DNS query each per target). */
    public List<String> domains(ZoneKind kind) {
        Set<String> d = new LinkedHashSet<>();
        for (DnsblZone z : zones) {
            if (z.kind() == kind) {
                d.add(z.domain());
            }
        }
        return new ArrayList<>(d);
    }

    /** The name actually queried for {@code domain}: with the DQS key as leftmost label where it applies. */
    public String queryDomain(String domain) {
        return DnsblZoneParser.isDqs(domain) && !dqsKey.isEmpty() ? dqsKey + "." + domain : domain;
    }

    /** Whether {@code key} has the shape of a DQS key (letters and digits, 16 to 64), case-insensitively. */
    public static boolean validKey(String key) {
        return key != null && KEY.matcher(key.trim().toLowerCase(Locale.ROOT)).matches();
    }

    /**
     * Reads a DQS key from the first non-empty line of {@code file}.
     *
     * @throws IllegalArgumentException when unreadable or not a key; the message never contains the file's content
     */
    public static String readKeyFile(Path file) {
        List<String> lines;
        try {
            if (Files.size(file) > 4096) {
                throw new IllegalArgumentException("file larger than 4096 bytes (expected: one line with the key)");
            }
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read (" + e.getClass().getSimpleName() + ")");
        }
        for (String l : lines) {
            if (!l.isBlank()) {
                if (!validKey(l)) {
                    throw new IllegalArgumentException("the first non-empty line is not a DQS key (expected: 16 to "
                            + "64 letters and digits)");
                }
                return l.trim().toLowerCase(Locale.ROOT);
            }
        }
        throw new IllegalArgumentException("file is empty (expected: one line with the key)");
    }

    /** Replaces the DQS key in {@code text} (e.g. an exception message that quotes a query name). */
    public String redact(String text) {
        if (text == null || dqsKey.isEmpty()) {
            return text;
        }
        return Pattern.compile(Pattern.quote(dqsKey), Pattern.CASE_INSENSITIVE).matcher(text)
                .replaceAll("<dqs-key>");
    }

    @Override
    public String toString() {
        return "DnsblSettings[resolver=" + (resolver == null ? "system" : resolver) + ", timeout=" + timeout
                + ", queryTimeout=" + queryTimeout + ", zones=" + zones.stream().map(DnsblZone::spec).toList()
                + ", dqsKey=" + (dqsKey.isEmpty() ? "none" : "(set)") + ", ownIps=" + ownIps.size() + "]";
    }
}
