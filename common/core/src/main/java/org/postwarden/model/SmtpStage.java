package org.postwarden.model;

import java.util.Locale;

/** The SMTP protocol state a request or event belongs to, as Postfix names it in {@code protocol_state}. */
public enum SmtpStage {
    CONNECT, HELO, MAIL, RCPT, DATA, END_OF_MESSAGE, VRFY, ETRN, UNKNOWN;

    /** Maps Postfix's {@code protocol_state} value (CONNECT, EHLO, HELO, MAIL, RCPT, DATA, END-OF-MESSAGE, VRFY, ETRN). */
    public static SmtpStage fromPostfix(String state) {
        if (state == null) {
            return UNKNOWN;
        }
        return switch (state.toUpperCase(Locale.ROOT)) {
            case "CONNECT" -> CONNECT;
            case "EHLO", "HELO" -> HELO;
            case "MAIL" -> MAIL;
            case "RCPT" -> RCPT;
            case "DATA" -> DATA;
            case "END-OF-MESSAGE" -> END_OF_MESSAGE;
            case "VRFY" -> VRFY;
            case "ETRN" -> ETRN;
            default -> UNKNOWN;
        };
    }

    /** Lower-case label used in metrics and logs (bounded set). */
    public String label() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
