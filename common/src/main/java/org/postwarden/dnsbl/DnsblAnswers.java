package org.postwarden.dnsbl;

import java.net.Inet4Address;
import java.util.ArrayList;
import java.util.List;

/**
 * What every zone of one kind said about one target (a client address, a HELO name or a sender domain), and which
 * configured entries that makes count. Immutable, except that {@link #hits()} consults the zones' current health:
 * a zone marked failing scores nothing, not even from an answer cached before it started failing.
 */
public final class DnsblAnswers {
    private final ZoneKind kind;
    private final String target;
    private final DnsblClient.Zone[] zones;
    private final DnsblResult[] results;
    private final long expiresAtNanos;

    DnsblAnswers(ZoneKind kind, String target, DnsblClient.Zone[] zones, DnsblResult[] results, long expiresAtNanos) {
        this.kind = kind;
        this.target = target;
        this.zones = zones;
        this.results = results;
        this.expiresAtNanos = expiresAtNanos;
    }

    /** One entry that counts: its weight applies. */
    public record Hit(DnsblZone zone, List<Inet4Address> codes) {
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
        for (DnsblClient.Zone z : zones) {
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

    /** The configured entries whose filter matches a listing of a healthy zone, in configuration order. */
    public List<Hit> hits() {
        List<Hit> out = null;
        for (int i = 0; i < zones.length; i++) {
            if (results[i] instanceof DnsblResult.Listed l && !zones[i].failing()) {
                for (DnsblZone e : zones[i].entries) {
                    if (e.matches(l.codes())) {
                        if (out == null) {
                            out = new ArrayList<>(2);
                        }
                        out.add(new Hit(e, matching(e, l.codes())));
                    }
                }
            }
        }
        return out == null ? List.of() : out;
    }

    private static List<Inet4Address> matching(DnsblZone e, List<Inet4Address> codes) {
        if (e.filter() == null) {
            return codes;
        }
        return codes.stream().filter(e.filter()::matches).toList();
    }

    /** Zones without a usable answer: failed lookups, and listings from zones currently marked failing. */
    public List<Problem> problems() {
        List<Problem> out = null;
        for (int i = 0; i < zones.length; i++) {
            DnsblResult.Failed f = null;
            if (results[i] instanceof DnsblResult.Failed failed) {
                f = failed;
            } else if (results[i] instanceof DnsblResult.Listed && zones[i].failing()) {
                f = new DnsblResult.Failed(DnsblResult.Reason.ERROR_CODE, "zone " + zones[i].domain
                        + " is failing (query-error codes); its listings score nothing until it answers sanely");
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
