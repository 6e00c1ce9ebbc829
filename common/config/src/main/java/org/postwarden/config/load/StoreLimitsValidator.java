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
}
