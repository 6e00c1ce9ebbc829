package org.postwarden.reputation;

/**
 * The kinds of session mark, and the only place their keys are built: each thing that must be counted once has
 * one kind here, so two call sites can never spell a key differently (or alike for different things). A key is the
 * kind's prefix and its parts joined by {@code |}; parts come from Postfix ({@code instance}, queue ids, connection
 * ids of client address and port) or from the client (HELO names, recipients), so the prefix keeps kinds apart.
 */
public enum Mark {
    /** A listener has reported this connection (parts: listener, connection id). */
    CONNECTION_REPORTED("c|"),
    /** Tally of connection reports per listener (part: connection id). */
    CONNECTION("c|"),
    /** Tally of RCPT reports of one recipient in one connection (parts: connection id, lower-cased recipient). */
    RECIPIENT("r|"),
    /** Some RCPT of this connection was reported (part: connection id). */
    RECIPIENTS_REPORTED("rs|"),
    /** A RCPT of this message was reported (part: message id from {@link #messageIds}). */
    MESSAGE_RECIPIENT("r|"),
    /** The message was counted (part: message id). */
    MESSAGE("m|"),
    /** The recipient count of END-OF-MESSAGE was counted (part: message id). */
    RECIPIENT_COUNT("rc|"),
    /** The content fingerprint of the message was counted (part: message id). */
    CONTENT("f|"),
    /** The message was counted as accepted into its host's history (part: message id). */
    ACCEPTED("a|"),
    /** The HELO name of a connection or message was scored (parts: connection or message id, HELO name). */
    HELO("h|"),
    /** A listener scored a relay attempt (parts: client address, lower-cased recipient). */
    RELAY_ATTEMPT("rd|");

    private final String prefix;

    Mark(String prefix) {
        this.prefix = prefix;
    }

    /** The key of this kind for one part. */
    public String key(String part) {
        return prefix + part;
    }

    /** The key of this kind for two parts. */
    public String key(String first, String second) {
        return prefix + first + "|" + second;
    }

    /** The message-id part for a queue id. */
    public static String queueIdPart(String queueId) {
        return "q|" + queueId;
    }

    /** The message-id part for Postfix's {@code instance} as reported by {@code source}. */
    public static String instancePart(String source, String instance) {
        return "i|" + source + "|" + instance;
    }
}
