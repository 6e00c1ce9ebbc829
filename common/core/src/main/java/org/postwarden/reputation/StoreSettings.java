package org.postwarden.reputation;

import org.postwarden.model.KeyLevel;

import java.time.Duration;
import java.util.Map;

/**
 * Sizing and behaviour of a reputation store, whatever its implementation: how many keys it keeps, how long an
 * idle key lives, the score half-life and the counter layouts per key level, for users and for message contents.
 * Equal settings mean a store can be kept across a reload as it is.
 */
public record StoreSettings(long maxClients, long maxUsers, Duration idleExpiry, Duration halfLife,
        Map<KeyLevel, CounterLayout> clientLayouts, CounterLayout userLayout, CounterLayout contentLayout) {
    public StoreSettings {
        clientLayouts = Map.copyOf(clientLayouts);
    }

    /** Settings without content counters. */
    public StoreSettings(long maxClients, long maxUsers, Duration idleExpiry, Duration halfLife,
            Map<KeyLevel, CounterLayout> clientLayouts, CounterLayout userLayout) {
        this(maxClients, maxUsers, idleExpiry, halfLife, clientLayouts, userLayout, CounterLayout.empty());
    }

    /** The counter layout of client keys of {@code level} (empty when none is configured). */
    public CounterLayout layout(KeyLevel level) {
        return clientLayouts.getOrDefault(level, CounterLayout.empty());
    }
}
