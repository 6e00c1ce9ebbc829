package org.postwarden.admin;

import java.util.Optional;

/**
 * Outbound suspensions of SASL users, as the admin API sees them. The outbound guard (a later issue) provides the
 * real one; until then {@link #NONE} answers that no user is suspended, so {@code release} says so clearly.
 */
public interface Suspensions {

    /** A suspension: since when, why, and how many messages were held. */
    record Suspension(String user, long sinceMillis, String reason, long heldMessages) {
    }

    /** The active suspension of {@code user}, if any. */
    Optional<Suspension> of(String user);

    /** Lifts the suspension of {@code user}; returns it, or empty when there was none. */
    Optional<Suspension> release(String user);

    /** No outbound guard: nobody is ever suspended. */
    Suspensions NONE = new Suspensions() {
        @Override
        public Optional<Suspension> of(String user) {
            return Optional.empty();
        }

        @Override
        public Optional<Suspension> release(String user) {
            return Optional.empty();
        }
    };
}
