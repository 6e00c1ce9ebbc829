package org.postwarden.verdict;

/** The outcome for one event. Texts are human-readable and never contain CR or LF. */
public sealed interface Verdict {

    Action action();

    /** Pass: {@code DUNNO}. */
    Verdict PASS = new Pass();

    static Verdict tag(String header, String value) {
        return new Tag(header, value);
    }

    static Verdict defer(String text) {
        return new Defer("450", "4.7.1", text);
    }

    /**
     * A deferral that Postfix applies only if the rest of its restrictions would permit the request (access(5)
     * {@code DEFER_IF_PERMIT}): a later reject (relay denied, unknown recipient) still rejects. Listeners without
     * that notion (the milter: a milter reply has no if-permit form) answer {@code 450 4.7.1 text}.
     */
    static Verdict deferIfPermit(String text) {
        return new Defer("450", "4.7.1", text, true, false);
    }

    /**
     * A defer that must stay temporary: no listener setting (e.g. the milter's {@code connect-refusal: reject}) turns
     * it into a reject. For a network-level refusal without a ban.
     */
    static Verdict deferOnly(String text) {
        return new Defer("450", "4.7.1", text, false, true);
    }

    static Verdict reject(String text) {
        return new Reject("550", "5.7.1", text);
    }

    static Verdict hold(String text) {
        return new Hold(text);
    }

    static Verdict warn(String text) {
        return new Warn(text);
    }

    /** Nothing to say. */
    record Pass() implements Verdict {
        @Override
        public Action action() {
            return Action.PASS;
        }
    }

    /** Explicitly trusted by an allowlist rule with {@code action: OK}. */
    record Accept(String rule) implements Verdict {
        @Override
        public Action action() {
            return Action.ACCEPT;
        }
    }

    /** Add header {@code header: value}. */
    record Tag(String header, String value) implements Verdict {
        @Override
        public Action action() {
            return Action.TAG;
        }
    }

    /** Keep the message in the hold queue. */
    record Hold(String text) implements Verdict {
        @Override
        public Action action() {
            return Action.HOLD;
        }
    }

    /**
     * Temporary failure with SMTP code and enhanced status code; {@code ifPermit}: only if the rest of Postfix's
     * restrictions would permit the request (see {@link #deferIfPermit}); {@code temporaryOnly}: never turned into a
     * reject by a listener's settings (a network-level refusal without a ban, see {@link #deferOnly}).
     */
    record Defer(String code, String enhanced, String text, boolean ifPermit, boolean temporaryOnly)
            implements Verdict {
        /** A deferral that applies at once. */
        public Defer(String code, String enhanced, String text) {
            this(code, enhanced, text, false, false);
        }

        @Override
        public Action action() {
            return Action.DEFER;
        }
    }

    /** Permanent failure with SMTP code and enhanced status code. */
    record Reject(String code, String enhanced, String text) implements Verdict {
        @Override
        public Action action() {
            return Action.REJECT;
        }
    }

    /** Dry-run: log what would have happened. */
    record Warn(String text) implements Verdict {
        @Override
        public Action action() {
            return Action.WARN;
        }
    }
}
