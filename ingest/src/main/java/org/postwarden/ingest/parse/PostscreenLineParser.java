package org.postwarden.ingest.parse;

import org.postwarden.model.Signal;

import java.net.InetAddress;

/**
 * postscreen(8) lines (the same forms from Postfix 3.5 to 3.11):
 * <pre>
 * CONNECT from [192.0.2.1]:52010 to [198.51.100.1]:25
 * PREGREET 11 after 0.15 from [192.0.2.1]:52010: EHLO ylmf-pc\r\n
 * HANGUP after 0.7 from [192.0.2.1]:52010 in tests before SMTP handshake
 * DNSBL rank 6 for [192.0.2.1]:52010
 * COMMAND PIPELINING from [192.0.2.1]:52010 after EHLO: QUIT\r\n
 * NON-SMTP COMMAND from [192.0.2.1]:52010 after CONNECT: GET / HTTP/1.1
 * BARE NEWLINE from [192.0.2.1]:52010 after DATA
 * </pre>
 * Anything else (PASS NEW/OLD, DISCONNECT, DENYLISTED, its own NOQUEUE rejects) is of no interest here.
 */
final class PostscreenLineParser {
    private PostscreenLineParser() {
    }

    static LogEvent parse(String m) {
        if (m.isEmpty()) {
            return null;
        }
        switch (m.charAt(0)) {
            case 'C' -> {
                if (m.startsWith("CONNECT from [")) {
                    return event(LogCategory.CONNECT, "connect", null, Fields.bracketAddress(m, 13), 1, "");
                }
                if (m.startsWith("COMMAND PIPELINING from [")) {
                    return event(LogCategory.PROTOCOL, "pipelining", Signal.PROTOCOL_VIOLATION,
                            Fields.bracketAddress(m, 24), 1, afterClient(m, "COMMAND PIPELINING"));
                }
            }
            case 'P' -> {
                if (m.startsWith("PREGREET ")) {
                    int from = m.indexOf(" from [", 9);
                    if (from < 0) {
                        return null;
                    }
                    int colon = m.indexOf("]:", from);
                    int text = colon < 0 ? -1 : m.indexOf(": ", colon + 2);
                    String detail = "PREGREET " + m.substring(9, from)
                            + (text < 0 ? "" : ": " + m.substring(text + 2));
                    return event(LogCategory.PREGREET, "pregreet", Signal.PREGREET, Fields.bracketAddress(m, from),
                            1, detail);
                }
            }
            case 'H' -> {
                if (m.startsWith("HANGUP after ")) {
                    int from = m.indexOf(" from [", 13);
                    int in = from < 0 ? -1 : m.indexOf(" in ", from);
                    return from < 0 ? null : event(LogCategory.PROTOCOL, "hangup", Signal.HANGUP,
                            Fields.bracketAddress(m, from), 1,
                            "HANGUP after " + m.substring(13, from) + (in < 0 ? "" : m.substring(in)));
                }
            }
            case 'D' -> {
                if (m.startsWith("DNSBL rank ")) {
                    int rank = Fields.number(m, 11);
                    int for_ = m.indexOf(" for [", 11);
                    return rank < 0 || for_ < 0 ? null : event(LogCategory.DNSBL, "dnsbl-rank",
                            Signal.POSTSCREEN_DNSBL, Fields.bracketAddress(m, for_), Math.min(Math.max(rank, 1), 20),
                            "DNSBL rank " + rank);
                }
            }
            case 'N' -> {
                if (m.startsWith("NON-SMTP COMMAND from [")) {
                    return event(LogCategory.PROTOCOL, "non-smtp", Signal.PROTOCOL_VIOLATION,
                            Fields.bracketAddress(m, 22), 1, afterClient(m, "NON-SMTP COMMAND"));
                }
            }
            case 'B' -> {
                if (m.startsWith("BARE NEWLINE from [")) {
                    return event(LogCategory.PROTOCOL, "bare-newline", Signal.PROTOCOL_VIOLATION,
                            Fields.bracketAddress(m, 18), 1, afterClient(m, "BARE NEWLINE"));
                }
            }
            default -> {
                return null;
            }
        }
        return null;
    }

    /** {@code WHAT after X: text} from {@code WHAT from [addr]:port after X: text}. */
    private static String afterClient(String m, String what) {
        int after = m.indexOf(" after ", what.length());
        return after < 0 ? what : what + m.substring(after);
    }

    private static LogEvent event(LogCategory c, String kind, Signal s, InetAddress client, int count,
            String detail) {
        if (client == null) {
            return null;
        }
        return new LogEvent(-1, c, kind, s, client, "", count, Fields.detail(detail), "", "");
    }
}
