package org.postwarden.api;

import java.util.List;
import java.util.Optional;
import org.postwarden.model.Addresses;

/**
 * Outbound suspensions, as the admin API sees them. A suspended sender is a <b>subject</b>: {@code user:NAME} for a
 * SASL user, {@code client:ADDRESS} for an unauthenticated client in {@code networks.trusted}. The outbound guard
 * ({@code org.postwarden.outbound.OutboundGuard}) is the real implementation; {@link #NONE} knows no suspension.
 */
public interface Suspensions {

    /**
     * A suspension: who, since when, why, and what was held.
     *
     * @param subject      {@code user:NAME} or {@code client:ADDRESS}
     * @param sinceMillis  when it started (epoch milliseconds)
     * @param reason       bounded reason ({@code recipients}, {@code domains}, {@code trusted-relay}, ...)
     * @param detail       the values behind it, for humans
     * @param heldMessages messages held (or deferred) for this sender since
     * @param senders      envelope senders seen from it since (at most a few dozen)
     * @param queueIds     Postfix queue ids of its messages held since (as far as they were known)
     */
    record Suspension(String subject, long sinceMillis, String reason, String detail, long heldMessages,
            List<String> senders, List<String> queueIds) {
        public Suspension {
            senders = List.copyOf(senders);
            queueIds = List.copyOf(queueIds);
        }
    }

    /**
     * What a release or purge did.
     *
     * @param suspension the suspension it was about (as it was before)
     * @param messages   messages released from or deleted in the hold queue ({@code postsuper} says how many)
     * @param error      why the queue part failed, or "" (the suspension itself is lifted either way on release)
     */
    record Outcome(Suspension suspension, int messages, String error) {
    }

    /** Every active suspension, oldest first. */
    List<Suspension> list();

    /** The active suspension of {@code subject} (also a bare SASL user name or client address), if any. */
    Optional<Suspension> of(String subject);

    /**
     * Lifts the suspension of {@code subject} and releases its held messages ({@code postsuper -H}); empty when
     * there was none. May run a command: never call it on an event loop.
     */
    Optional<Outcome> release(String subject);

    /**
     * Deletes the held messages of suspended {@code subject} ({@code postsuper -d}); the suspension stays. Empty
     * when {@code subject} is not suspended. May run a command: never call it on an event loop.
     */
    Optional<Outcome> purge(String subject);

    /** No outbound guard: nobody is ever suspended. */
    Suspensions NONE = new Suspensions() {
        @Override
        public List<Suspension> list() {
            return List.of();
        }

        @Override
        public Optional<Suspension> of(String subject) {
            return Optional.empty();
        }

        @Override
        public Optional<Outcome> release(String subject) {
            return Optional.empty();
        }

        @Override
        public Optional<Outcome> purge(String subject) {
            return Optional.empty();
        }
    };

    /**
     * The subject {@code name} stands for: {@code user:...} and {@code client:...} as they are; an IP address
     * means {@code client:ADDRESS} (any valid form, printed canonically); anything else is a SASL user name.
     */
    static String subject(String name) {
        String n = name.strip();
        if (n.startsWith("client:")) {
            try {
                return "client:" + Addresses.format(
                        org.postwarden.model.Cidr.parseAddress(n.substring(7)));
            } catch (IllegalArgumentException e) {
                return n;
            }
        }
        if (n.startsWith("user:")) {
            return n;
        }
        boolean literal = (n.indexOf('.') >= 0 || n.indexOf(':') >= 0)
                && n.chars().allMatch(c -> c == '.' || c == ':' || Character.digit(c, 16) >= 0);
        if (literal) {
            try {
                return "client:" + Addresses.format(org.postwarden.model.Cidr.parseAddress(n));
            } catch (IllegalArgumentException e) {
                return "user:" + n;
            }
        }
        return "user:" + n;
    }
}
