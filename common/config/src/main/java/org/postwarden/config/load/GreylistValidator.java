package org.postwarden.config.load;

import org.postwarden.config.Durations;
import org.postwarden.config.PostwardenConfig;

import java.time.Duration;

/**
 * The {@code greylist:} section. Its syntax is checked even while {@code greylist.enabled} is false; turned on, the
 * wait for sender-pool lookups must end before the listeners' time budgets (or every cold lookup would end in the
 * listener's fallback instead of a decision).
 */
final class GreylistValidator {
    private GreylistValidator() {
    }

    /** {@code policy} and {@code milter} may be null (reported by their checks); their budgets are then skipped. */
    static void validate(PostwardenConfig.Greylist g, PostwardenConfig.Policy policy, PostwardenConfig.Milter milter,
            Problems p) {
        if (p.present("greylist.action", g.action()) && !g.action().equals("defer-if-permit")
                && !g.action().equals("defer")) {
            p.fail("greylist.action", g.action(), "defer-if-permit (Postfix's DEFER_IF_PERMIT: a later reject in "
                    + "the restriction list still rejects) or defer (450 at once)");
        }
        boolean delay = p.duration("greylist.delay", g.delay(), Duration.ofSeconds(1), Duration.ofDays(1));
        if (p.duration("greylist.retry-window", g.retryWindow(), Duration.ofMinutes(1), Duration.ofDays(30))
                && delay && g.retryWindow().compareTo(g.delay()) <= 0) {
            p.fail("greylist.retry-window", Durations.format(g.retryWindow()), "longer than greylist.delay ("
                    + Durations.format(g.delay()) + "), or no retry can ever pass");
        }
        if (p.duration("greylist.max-age", g.maxAge(), Duration.ofHours(1), Duration.ofDays(400))
                && g.retryWindow() != null && g.maxAge().compareTo(g.retryWindow()) < 0) {
            p.fail("greylist.max-age", Durations.format(g.maxAge()), "at least greylist.retry-window ("
                    + Durations.format(g.retryWindow()) + "), or a waiting entry is forgotten before its retry");
        }
        p.wholeNumber("greylist.auto-allowlist-after", g.autoAllowlistAfter(), 0, 1000);
        p.wholeNumber("greylist.max-entries", g.maxEntries(), 100, 10_000_000);
        p.nonNegative("greylist.min-score", g.minScore());
        p.ifPresent("greylist.pools", g.pools(), s -> pools(s, g.enabled(), policy, milter, p));
    }

    private static void pools(PostwardenConfig.GreylistPools s, boolean enabled, PostwardenConfig.Policy policy,
            PostwardenConfig.Milter milter, Problems p) {
        p.cidrs("greylist.pools.networks", s.networks());
        p.optionalHostPort("greylist.pools.resolver", s.resolver());
        boolean timeout = p.duration("greylist.pools.timeout", s.timeout(), Duration.ofMillis(1),
                Duration.ofSeconds(30));
        p.duration("greylist.pools.query-timeout", s.queryTimeout(), Duration.ofMillis(10), Duration.ofSeconds(60));
        p.duration("greylist.pools.cache-ttl", s.cacheTtl(), Duration.ofSeconds(1), Duration.ofDays(7));
        p.filePath("greylist.pools.public-suffix-list", s.publicSuffixList(), "a file path (Debian package "
                + "publicsuffix: /usr/share/publicsuffix/public_suffix_list.dat), or \"\" for the built-in "
                + "approximation");
        if (enabled && timeout && (s.ptr() || s.spf())) {
            budget(s.timeout(), "policy", policy != null && policy.enabled() ? policy.timeBudget() : null, p);
            budget(s.timeout(), "milter", milter != null && milter.enabled() ? milter.timeBudget() : null, p);
        }
    }

    private static void budget(Duration timeout, String listener, Duration timeBudget, Problems p) {
        if (timeBudget != null && timeout.compareTo(timeBudget) >= 0) {
            p.fail("greylist.pools.timeout", Durations.format(timeout), "less than " + listener + ".time-budget ("
                    + Durations.format(timeBudget) + "), or every slow pool lookup ends in the " + listener
                    + " fallback instead of a decision");
        }
    }
}
