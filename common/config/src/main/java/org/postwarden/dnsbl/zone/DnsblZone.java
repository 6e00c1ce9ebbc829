package org.postwarden.dnsbl.zone;

import java.net.Inet4Address;
import java.util.List;

/**
 * One configured zone entry, postscreen style: {@code domain[=d.d.d.d][*weight]}, optionally followed by the word
 * {@code grey}. The same domain may appear in several entries with different filters and weights (one DNS query
 * serves them all); each entry whose filter matches a returned code adds its weight once. Negative weights are
 * allowlists (DNSWL). A {@code grey} entry that matches makes the client doubtful for greylisting
 * ({@code greylist:}), whatever its weight (0 greylists without scoring).
 *
 * @param domain the zone as configured, lower case, without a trailing dot; never contains the DQS key
 * @param filter which return codes count, or null for any (non-error) code
 * @param weight score points added when listed (negative: allowlist)
 * @param kind   what is looked up in the zone
 * @param spec   the entry as written in the configuration, for explanations
 * @param grey   whether a listing here makes the client doubtful for greylisting (never on an allowlist entry)
 */
public record DnsblZone(String domain, CodeFilter filter, double weight, ZoneKind kind, String spec, boolean grey) {

    /** An entry without the {@code grey} marker. */
    public DnsblZone(String domain, CodeFilter filter, double weight, ZoneKind kind, String spec) {
        this(domain, filter, weight, kind, spec, false);
    }

    /** Whether a listing with {@code codes} counts for this entry. */
    public boolean matches(List<Inet4Address> codes) {
        return filter == null ? !codes.isEmpty() : filter.matchesAny(codes);
    }

    /** True for allowlist entries (negative weight). */
    public boolean allowlist() {
        return weight < 0;
    }
}
