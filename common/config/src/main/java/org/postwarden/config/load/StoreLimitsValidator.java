package org.postwarden.config.load;

import org.postwarden.config.Durations;
import org.postwarden.config.PostwardenConfig;

import java.time.Duration;

/**
 * The {@code store:} section (sizes, expiry, the wide IPv6 key, the snapshot) and the {@code limits:} section (the
 * rate-limit windows per key level and per SASL user), whose longest window the store must keep.
 */
final class StoreLimitsValidator {
    private StoreLimitsValidator() {
    }

    static void store(PostwardenConfig.Store s, Problems p) {
        p.wholeNumber("store.max-clients", s.maxClients(), 1000, 100_000_000);
        p.wholeNumber("store.max-users", s.maxUsers(), 100, 10_000_000);
        p.positive("store.idle-expiry", s.idleExpiry());
        p.wholeNumber("store.ipv6-wide-prefix", s.ipv6WidePrefix(), 16, 63);
        if (p.present("store.snapshot", s.snapshot())) {
            p.present("store.snapshot.path", s.snapshot().path());
            p.positive("store.snapshot.interval", s.snapshot().interval());
        }
        if (p.present("store.on-corrupt", s.onCorrupt())) {
            p.require("store.on-corrupt", s.onCorrupt(), s.onCorrupt().equals(PostwardenConfig.Store.WAIT_FOR_ADMIN)
                    || s.onCorrupt().equals(PostwardenConfig.Store.START_ANYWAY),
                    PostwardenConfig.Store.WAIT_FOR_ADMIN + " or " + PostwardenConfig.Store.START_ANYWAY);
        }
    }

    /** {@code store} may be null (reported by the store check); the expiry check against it is then skipped. */
    static void limits(PostwardenConfig.Limits l, PostwardenConfig.Store store, Problems p) {
        Duration longest = level("limits.host", l.host(), p);
        longest = Problems.longer(longest, level("limits.subnet", l.subnet(), p));
        longest = Problems.longer(longest, level("limits.wide", l.wide(), p));
        if (p.present("limits.sasl-user", l.saslUser())) {
            longest = Problems.longer(longest, p.windows("limits.sasl-user.messages", l.saslUser().messages()));
            longest = Problems.longer(longest, p.windows("limits.sasl-user.recipients", l.saslUser().recipients()));
        }
        longest = Problems.longer(longest, quotas(l, p));
        if (store != null && store.idleExpiry() != null && longest.compareTo(store.idleExpiry()) > 0) {
            p.fail("store.idle-expiry", Durations.format(store.idleExpiry()),
                    "at least the longest limit window (" + Durations.format(longest) + ")");
        }
    }

    /** One key level's counters; returns its longest window. */
    private static Duration level(String key, PostwardenConfig.LevelLimits l, Problems p) {
        if (!p.present(key, l)) {
            return Duration.ZERO;
        }
        Duration longest = p.windows(key + ".connections", l.connections());
        longest = Problems.longer(longest, p.windows(key + ".messages", l.messages()));
        return Problems.longer(longest, p.windows(key + ".recipients", l.recipients()));
    }

    /** {@code limits.domains} and {@code limits.users}: the layered outbound quotas; returns their longest window. */
    private static Duration quotas(PostwardenConfig.Limits l, Problems p) {
        Duration longest = Duration.ZERO;
        java.util.Set<String> seen = new java.util.HashSet<>();
        java.util.Set<String> extra = new java.util.HashSet<>();
        if (p.present("limits.domains", l.domains())) {
            for (int i = 0; i < l.domains().size(); i++) {
                String k = "limits.domains[" + i + "]";
                PostwardenConfig.DomainQuota d = l.domains().get(i);
                if (d == null) {
                    p.fail(k, null, "{domain: NAME, mailbox: {...}, pool: {...}}");
                    continue;
                }
                if (d.domain() == null || !d.domain().matches("[A-Za-z0-9]([A-Za-z0-9.-]{0,252})")
                        || d.domain().contains("..")) {
                    p.fail(k + ".domain", d.domain(), "a mail domain like example.com");
                } else if (!seen.add(d.domain().toLowerCase(java.util.Locale.ROOT))) {
                    p.fail(k + ".domain", d.domain(), "each domain once");
                }
                if (d.mailbox() == null && d.pool() == null) {
                    p.fail(k, d.domain(), "a mailbox quota, a pool, or both");
                }
                longest = Problems.longer(longest, userLimits(k + ".mailbox", d.mailbox(), p));
                longest = Problems.longer(longest, userLimits(k + ".pool", d.pool(), p));
                windows(d.mailbox(), extra);
                windows(d.pool(), extra);
            }
        }
        seen.clear();
        if (p.present("limits.users", l.users())) {
            for (int i = 0; i < l.users().size(); i++) {
                String k = "limits.users[" + i + "]";
                PostwardenConfig.UserQuota u = l.users().get(i);
                if (u == null || u.user() == null || u.user().isBlank()) {
                    p.fail(k + ".user", u == null ? null : u.user(), "a SASL user name");
                    continue;
                }
                if (!seen.add(u.user())) {
                    p.fail(k + ".user", u.user(), "each user once");
                }
                PostwardenConfig.UserLimits own = new PostwardenConfig.UserLimits(
                        u.messages() == null ? java.util.List.of() : u.messages(),
                        u.recipients() == null ? java.util.List.of() : u.recipients());
                longest = Problems.longer(longest, userLimits(k, own, p));
                windows(own, extra);
            }
        }
        if (extra.size() > MAX_LAYER_WINDOWS) {
            p.fail("limits.users", extra.size() + " distinct windows", "at most " + MAX_LAYER_WINDOWS
                    + " distinct (type, window) pairs in limits.domains and limits.users together (each is a "
                    + "counter every SASL user keeps)");
        }
        return longest;
    }

    private static final int MAX_LAYER_WINDOWS = 24;

    private static void windows(PostwardenConfig.UserLimits u, java.util.Set<String> out) {
        if (u == null) {
            return;
        }
        for (var w : u.messages() == null ? java.util.List.<PostwardenConfig.Window>of() : u.messages()) {
            if (w != null && w.window() != null) {
                out.add("m" + w.window().toSeconds());
            }
        }
        for (var w : u.recipients() == null ? java.util.List.<PostwardenConfig.Window>of() : u.recipients()) {
            if (w != null && w.window() != null) {
                out.add("r" + w.window().toSeconds());
            }
        }
    }

    private static Duration userLimits(String key, PostwardenConfig.UserLimits u, Problems p) {
        if (u == null) {
            return Duration.ZERO;
        }
        Duration longest = u.messages() == null ? Duration.ZERO : p.windows(key + ".messages", u.messages());
        return Problems.longer(longest, u.recipients() == null ? Duration.ZERO
                : p.windows(key + ".recipients", u.recipients()));
    }
}
