package org.postwarden.outbound.alert;

import org.postwarden.outbound.Alert;
import org.postwarden.text.LogSafe;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The alert mail as a local submission program (sendmail) reads it: header lines, a blank line, the body; LF line
 * ends. Header values are on one line (line breaks and other control characters removed) and capped; text with
 * non-ASCII characters is RFC 2047 encoded; body lines have their control characters escaped. The whole message is
 * bounded (under 32 KiB), so writing it to a pipe never waits for the reader. Stateless.
 */
final class MailMessage {
    private static final int HEADER_MAX = 200;
    private static final int BODY_LINE_MAX = 900;
    private static final int MAX_DETAIL_LINES = 30;
    private static final DateTimeFormatter MAIL_DATE =
            DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss Z", Locale.ENGLISH);

    private MailMessage() {
    }

    /** The mail of {@code a} (of kind {@code kind}) from {@code from} to {@code to}. */
    static String of(Alert a, String kind, String to, String from) {
        StringBuilder sb = new StringBuilder(512);
        sb.append("From: ").append(headerText(from, HEADER_MAX)).append('\n');
        sb.append("To: ").append(headerText(to, HEADER_MAX)).append('\n');
        sb.append("Subject: ").append(encodeWord(headerText("[postwarden] " + kind + ": " + a.summary(),
                HEADER_MAX))).append('\n');
        sb.append("Date: ").append(MAIL_DATE.format(Instant.ofEpochMilli(a.atMillis()).atZone(ZoneId.systemDefault())))
                .append('\n');
        sb.append("Auto-Submitted: auto-generated\n");
        sb.append("MIME-Version: 1.0\n");
        sb.append("Content-Type: text/plain; charset=UTF-8\n");
        sb.append("Content-Transfer-Encoding: 8bit\n");
        sb.append('\n');
        sb.append(bodyLine(a.summary())).append('\n');
        sb.append('\n');
        sb.append(bodyLine("subject: " + a.subject())).append('\n');
        int lines = 0;
        for (Map.Entry<String, Object> d : new TreeMap<>(a.details()).entrySet()) {
            if (lines++ == MAX_DETAIL_LINES) {
                sb.append("... ").append(a.details().size() - MAX_DETAIL_LINES).append(" more\n");
                break;
            }
            sb.append(bodyLine(d.getKey() + ": " + d.getValue())).append('\n');
        }
        return sb.toString();
    }

    /** One header line's text: control characters (CR, LF, ...) become spaces, at most {@code max} characters. */
    static String headerText(String s, int max) {
        if (s == null) {
            return "";
        }
        StringBuilder sb = new StringBuilder(Math.min(s.length(), max));
        for (int i = 0; i < s.length() && sb.length() < max; i++) {
            char c = s.charAt(i);
            sb.append(c < 0x20 || c == 0x7F ? ' ' : c);
        }
        if (sb.length() > 0 && Character.isHighSurrogate(sb.charAt(sb.length() - 1))) {
            sb.setLength(sb.length() - 1);
        }
        return sb.toString().strip();
    }

    /** {@code s} as is when it is ASCII, else RFC 2047 encoded words ({@code =?UTF-8?B?...?=}), folded. */
    static String encodeWord(String s) {
        if (s.chars().allMatch(c -> c < 0x80)) {
            return s;
        }
        StringBuilder sb = new StringBuilder();
        int i = 0;
        while (i < s.length()) {
            // at most 45 bytes per word: 60 base64 characters + 12 = 72 (< 75)
            int end = i;
            int bytes = 0;
            while (end < s.length()) {
                int cp = s.codePointAt(end);
                int len = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
                if (bytes + len > 45) {
                    break;
                }
                bytes += len;
                end += Character.charCount(cp);
            }
            if (sb.length() > 0) {
                sb.append("\n ");
            }
            sb.append("=?UTF-8?B?").append(Base64.getEncoder().encodeToString(
                    s.substring(i, end).getBytes(StandardCharsets.UTF_8))).append("?=");
            i = end;
        }
        return sb.toString();
    }

    /** One body line: control characters escaped ({@code \xHH}), other text (UTF-8) kept, capped. */
    private static String bodyLine(String text) {
        return LogSafe.escapeControls(text, BODY_LINE_MAX);
    }
}
