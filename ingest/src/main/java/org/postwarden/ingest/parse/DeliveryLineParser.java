package org.postwarden.ingest.parse;

import org.postwarden.api.DeliveryOutcomes;

/**
 * Delivery agents' result lines: smtp(8), lmtp(8), local(8), virtual(8), pipe(8), error(8), discard(8). Form,
 * Postfix 3.5 to 3.11 ({@code orig_to} and {@code conn_use} optional):
 * <pre>
 * QUEUEID: to=&lt;rcpt&gt;, [orig_to=&lt;rcpt&gt;,] relay=R, [conn_use=N,] delay=D, delays=a/b/c/d, dsn=X.Y.Z,
 *     status=sent|deferred|bounced|expired (free text)
 * </pre>
 * {@code sent} is {@code SENT}; {@code deferred} (and {@code SOFTBOUNCE}, a bounce turned into a deferral by
 * {@code soft_bounce}) is {@code DEFERRED}; {@code bounced} and {@code expired} are {@code BOUNCED}. Address
 * verification probes ({@code status=deliverable|undeliverable}) and every other line of these programs
 * ({@code connect to ...}, {@code host ... said: ...}, warnings, TLS notes) are of no interest.
 *
 * <p>The fields are read left to right and a quoted local part ({@code "a, status=sent"@x}) is skipped as a whole,
 * so neither a recipient address nor the remote server's text in parentheses can fake the status.
 */
final class DeliveryLineParser {
    private static final String[] AGENTS = {"smtp", "lmtp", "local", "virtual", "pipe", "error", "discard"};
    private static final int MAX_ADDRESS = 1000;
    private static final int MAX_FIELDS = 16;

    private DeliveryLineParser() {
    }

    /** Whether {@code program} is a delivery agent ({@code postfix/smtp}, {@code postfix-out/smtp}, {@code smtp}). */
    static boolean isAgent(String program) {
        for (String a : AGENTS) {
            if (program.endsWith(a) && (program.length() == a.length()
                    || program.charAt(program.length() - a.length() - 1) == '/')) {
                return true;
            }
        }
        return false;
    }

    static LogEvent parse(String m) {
        int id = 0;
        while (id < m.length() && id <= 24 && alnum(m.charAt(id))) {
            id++;
        }
        if (id < 5 || id > 24 || !m.startsWith(": to=<", id) || m.startsWith("NOQUEUE:")) {
            return null;
        }
        String queueId = m.substring(0, id);
        int close = addressEnd(m, id + 6);
        if (close < 0) {
            return null;
        }
        String recipient = m.substring(id + 6, close);
        String relay = "";
        String dsn = "";
        int p = close + 1;
        for (int fields = 0; fields < MAX_FIELDS && m.startsWith(", ", p); fields++) {
            p += 2;
            int eq = m.indexOf('=', p);
            if (eq < 0 || eq - p > 16 || !name(m, p, eq)) {
                return null;
            }
            if (m.startsWith("status=", p)) {
                return status(m, eq + 1, queueId, recipient, relay, dsn);
            }
            int end;
            if (m.startsWith("orig_to=<", p)) {
                end = addressEnd(m, eq + 2);
                if (end < 0) {
                    return null;
                }
                end++;
            } else {
                end = m.indexOf(", ", eq + 1);
                if (end < 0) {
                    return null;
                }
                if (m.startsWith("relay=", p)) {
                    relay = m.substring(eq + 1, end);
                } else if (m.startsWith("dsn=", p)) {
                    dsn = m.substring(eq + 1, end);
                }
            }
            p = end;
        }
        return null;
    }

    private static LogEvent status(String m, int at, String queueId, String recipient, String relay, String dsn) {
        int end = at;
        while (end < m.length() && end - at < 12 && letter(m.charAt(end))) {
            end++;
        }
        if (end < m.length() && m.charAt(end) != ' ') {
            return null;
        }
        String word = m.substring(at, end);
        DeliveryOutcomes.Status status = switch (word) {
            case "sent" -> DeliveryOutcomes.Status.SENT;
            case "deferred", "SOFTBOUNCE" -> DeliveryOutcomes.Status.DEFERRED;
            case "bounced", "expired" -> DeliveryOutcomes.Status.BOUNCED;
            default -> null; // deliverable / undeliverable (address verification), or unknown
        };
        if (status == null) {
            return null;
        }
        String kind = "delivery-" + (word.equals("SOFTBOUNCE") ? "softbounce" : word);
        return new LogEvent(-1, LogCategory.DELIVERY, kind, null, null, "", 1,
                Fields.detail("status=" + word + " dsn=" + dsn + " relay=" + relay), "", Fields.detail(recipient),
                new LogEvent.Delivery(queueId, status));
    }

    /**
     * The index of the {@code >} closing the address that starts at {@code from}, skipping quoted strings (with
     * backslash escapes); -1 when there is none within {@link #MAX_ADDRESS} characters.
     */
    private static int addressEnd(String m, int from) {
        boolean quoted = false;
        int limit = Math.min(m.length(), from + MAX_ADDRESS);
        for (int i = from; i < limit; i++) {
            char c = m.charAt(i);
            if (quoted) {
                if (c == '\\') {
                    i++;
                } else if (c == '"') {
                    quoted = false;
                }
            } else if (c == '"') {
                quoted = true;
            } else if (c == '>') {
                return i;
            }
        }
        return -1;
    }

    /** Whether {@code m[from, to)} is a field name: lower-case letters and underscores. */
    private static boolean name(String m, int from, int to) {
        if (to <= from) {
            return false;
        }
        for (int i = from; i < to; i++) {
            char c = m.charAt(i);
            if (!(c >= 'a' && c <= 'z' || c == '_')) {
                return false;
            }
        }
        return true;
    }

    private static boolean letter(char c) {
        return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z';
    }

    private static boolean alnum(char c) {
        return c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z';
    }
}
