package org.postwarden.reputation;

import java.time.Duration;
import java.util.Objects;

/**
 * One kind of keyed state that a part of the core keeps in the store (failed-login scores of users, the hosts that
 * contributed to a network's score, outbound sender profiles, suspensions...): its name, the version of its
 * encoding, its bounds, and the codec that persists it. The store owns the table ({@link ReputationStore#table});
 * the part that declares the kind owns the meaning of the values.
 *
 * @param name        stable name, written into snapshots (lower case, {@code a-z0-9-.})
 * @param version     version of {@code codec}'s encoding; a snapshot written with another version is given to
 *                    {@link StateCodec#read} with that version
 * @param maxEntries  at most this many keys are kept (least recently used go first)
 * @param idleExpiry  a key not read or written for this long is dropped
 * @param codec       writes and reads one value
 * @param journaled   whether each put, creation and removal goes to the store's journal at once (fsync'd), not only
 *                    into the next snapshot: for state a crash must never forget (outbound suspensions)
 * @param <V>         the value type (mutable values guard themselves: the codec's write may run concurrently)
 */
public record StateKind<V>(String name, int version, long maxEntries, Duration idleExpiry, StateCodec<V> codec,
        boolean journaled) {
    /** A kind persisted by snapshots only. */
    public StateKind(String name, int version, long maxEntries, Duration idleExpiry, StateCodec<V> codec) {
        this(name, version, maxEntries, idleExpiry, codec, false);
    }

    public StateKind {
        Objects.requireNonNull(codec, "codec");
        if (name == null || !name.matches("[a-z0-9][a-z0-9.-]{0,63}")) {
            throw new IllegalArgumentException("name: " + name + " (expected 1-64 of a-z, 0-9, '.', '-')");
        }
        if (version < 1 || maxEntries < 1 || idleExpiry == null || idleExpiry.isNegative() || idleExpiry.isZero()) {
            throw new IllegalArgumentException("state kind " + name + ": version " + version + ", maxEntries "
                    + maxEntries + ", idleExpiry " + idleExpiry + " (expected version >= 1, maxEntries >= 1, a "
                    + "positive idle expiry)");
        }
    }
}
