package org.postwarden.api;

/**
 * The answer to an {@link AuthAttempt}: Dovecot's {@code {"status": N, "msg": "..."}} in engine terms. A negative
 * status refuses the login before the password is checked, 0 lets it go on, a positive one delays it (tarpit) by
 * that many seconds.
 *
 * @param status  -1, 0 or the delay in seconds
 * @param message text for Dovecot's log and the client's refusal ("" for none); never names a password hash
 * @param reason  why, as a bounded metric label
 */
public record AuthVerdict(int status, String message, Reason reason) {

    public AuthVerdict {
        message = message == null ? "" : message;
        if (reason == null) {
            throw new IllegalArgumentException("reason");
        }
    }

    /** Why the engine answered as it did (bounded: used as a metric label). */
    public enum Reason {
        /** Nothing against it. */
        ALLOWED("allowed"),
        /** A trusted, own or allowlisted address, or a configured proxy: never refused or delayed. */
        TRUSTED("trusted"),
        /** Recent failed logins from the address: delayed. */
        TARPIT("tarpit"),
        /** The address (or its network) is banned. */
        BANNED("banned"),
        /** The address's score (or, with a crowd, its network's) is over the reject threshold. */
        SCORE("score"),
        /** Too many distinct wrong passwords from the address. */
        BRUTE_FORCE("brute-force"),
        /** Its network tried too many distinct users (password spraying). */
        SPRAYING("spraying"),
        /** A report, counted. */
        REPORTED("reported");

        private final String label;

        Reason(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    /** Lets the attempt go on. */
    public static AuthVerdict allow(Reason reason) {
        return new AuthVerdict(0, "", reason);
    }

    /** Refuses it before the password check. */
    public static AuthVerdict reject(Reason reason, String message) {
        return new AuthVerdict(-1, message, reason);
    }

    /** Whether Dovecot refuses the attempt. */
    public boolean refused() {
        return status < 0;
    }
}
