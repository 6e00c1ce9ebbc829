package org.postwarden.dnsbl;

import org.postwarden.dnsbl.zone.DnsblZone;
import org.postwarden.dnsbl.zone.ZoneKind;

import java.net.Inet4Address;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What every zone of one kind said about one target (a client address, a HELO name or a sender domain), and which
 * configured entries that makes count. Immutable, except that {@link #hits()} consults the zones' current health:
 * a zone marked failing scores nothing, not even from an answer cached before it started failing.
 */
public final class DnsblAnswers {
    private final ZoneKind kind;
    private final String target;
    private final Zone[] zones;
    private final DnsblResult[] results;
    private final long expiresAtNanos;
    private final boolean anyListed;
    private final boolean anyFailed;
    /** Every entry whose filter matches, with its explanation, built once (answers are cached and shared). */
    private volatile HitSet all;

    private record HitSet(List<Hit> hits, Zone[] zones) {
    }

    DnsblAnswers(ZoneKind kind, String target, Zone[] zones, DnsblResult[] results, long expiresAtNanos) {
        this.kind = kind;
        this.target = target;
        this.zones = zones;
        this.results = results;
        this.expiresAtNanos = expiresAtNanos;
        boolean listed = false;
        boolean failed = false;
        for (DnsblResult r : results) {
            listed |= r instanceof DnsblResult.Listed;
            failed |= r instanceof DnsblResult.Failed;
        }
        this.anyListed = listed;
        this.anyFailed = failed;
    }

    /**
     * One entry that counts: its weight applies.
     *
     * @param detail e.g. {@code client 192.0.2.1 is listed in zen.spamhaus.org (127.0.0.4 matches 127.0.0.[2..9]): +6.0}
     */
    public record Hit(DnsblZone zone, List<Inet4Address> codes, String detail) {
        /** The matching codes as text, e.g. {@code 127.0.0.4,127.0.0.10}. */
        public String codesText() {
            return new DnsblResult.Listed(codes).codesText();
        }
    }

    /** A zone that gave no usable answer for this target (it scores nothing). */
    public record Problem(String domain, DnsblResult.Failed failure) {
    }

    public ZoneKind kind() {
        return kind;
    }

    /** The looked-up target as shown in logs and explanations (client address or domain). */
    public String target() {
        return target;
    }

    /** The zone domains asked, in configuration order. */
    public List<String> domains() {
        List<String> d = new ArrayList<>(zones.length);
        for (Zone z : zones) {
            d.add(z.domain);
        }
        return d;
    }

    /** The result of {@code domain}, or null when it was not asked. */
    public DnsblResult result(String domain) {
        for (int i = 0; i < zones.length; i++) {
            if (zones[i].domain.equals(domain)) {
                return results[i];
            }
        }
        return null;
    }

    /** When this summary stops being valid (the earliest expiry of its answers), in {@code TimeSource} nanos. */
    public long expiresAtNanos() {
        return expiresAtNanos;
    }

    /**
     * The configured entries whose filter matches a listing of a healthy zone, in configuration order. Cheap on the
     * common path: the matching entries and their explanations are built once per answer set.
     */
    public List<Hit> hits() {
        if (!anyListed) {
            return List.of();
        }
        HitSet set = all;
        if (set == null) {
            set = build();
            all = set;
        }
        List<Hit> hits = set.hits();
        for (int i = 0; i < hits.size(); i++) {
            if (set.zones()[i].failing()) {
                List<Hit> healthy = new ArrayList<>(hits.size());
                for (int j = 0; j < hits.size(); j++) {
                    if (!set.zones()[j].failing()) {
                        healthy.add(hits.get(j));
                    }
                }
                return healthy;
            }
        }
        return hits;
    }

    private HitSet build() {
        List<Hit> hits = new ArrayList<>(2);
        List<Zone> of = new ArrayList<>(2);
        for (int i = 0; i < zones.length; i++) {
            if (results[i] instanceof DnsblResult.Listed l) {
                for (DnsblZone e : zones[i].entries) {
                    if (e.matches(l.codes())) {
                        List<Inet4Address> codes = matching(e, l.codes());
                        String detail = what() + " is listed in " + e.domain() + " ("
                                + new DnsblResult.Listed(codes).codesText()
                                + (e.filter() == null ? "" : " matches " + e.filter()) + "): "
                                + (e.weight() > 0 ? "+" : "") + String.format(Locale.ROOT, "%.1f", e.weight());
                        hits.add(new Hit(e, codes, detail));
                        of.add(zones[i]);
                    }
                }
            }
        }
        return hits.isEmpty() ? new HitSet(List.of(), new Zone[0])
                : new HitSet(List.copyOf(hits), of.toArray(Zone[]::new));
    }

    /** The target as explanations name it: {@code client 192.0.2.1}, {@code HELO x.example}, ... */
    public String what() {
        return switch (kind) {
            case CLIENT_IP -> "client " + target;
            case RHSBL_HELO -> "HELO " + target;
            case RHSBL_SENDER -> "sender domain " + target;
        };
    }

    private static List<Inet4Address> matching(DnsblZone e, List<Inet4Address> codes) {
        if (e.filter() == null) {
            return codes;
        }
        return codes.stream().filter(e.filter()::matches).toList();
    }

    /** Zones without a usable answer: failed lookups, and listings from zones currently marked failing. */
    public List<Problem> problems() {
        if (!anyFailed && !anyListed) {
            return List.of();
        }
        List<Problem> out = null;
        for (int i = 0; i < zones.length; i++) {
            DnsblResult.Failed f = null;
            if (results[i] instanceof DnsblResult.Failed failed) {
                f = failed;
            } else if (results[i] instanceof DnsblResult.Listed && zones[i].failing()) {
                String why = zones[i].health.whyOff();
                f = new DnsblResult.Failed(zones[i].health.switchedOff() != null ? DnsblResult.Reason.SWITCHED_OFF
                        : DnsblResult.Reason.ERROR_CODE, why != null ? why : "zone " + zones[i].domain
                        + " scores nothing");
            }
            if (f != null) {
                if (out == null) {
                    out = new ArrayList<>(2);
                }
                out.add(new Problem(zones[i].domain, f));
            }
        }
        return out == null ? List.of() : out;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(kind.label()).append(' ').append(target).append(':');
        for (int i = 0; i < zones.length; i++) {
            sb.append(' ').append(zones[i].domain).append('=').append(results[i]);
        }
        return sb.toString();
    }
}
