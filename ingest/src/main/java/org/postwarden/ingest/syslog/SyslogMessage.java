package org.postwarden.ingest.syslog;

import org.postwarden.ingest.parse.LogLine;

/**
 * A syslog message taken apart: RFC 5424 ({@code <PRI>1 TIMESTAMP HOST APP PROCID MSGID SD MSG}) or RFC 3164 /
 * BSD ({@code <PRI>Nov 22 10:00:01 host tag[pid]: msg}, also with an RFC 3339 stamp as rsyslog forwards it). Bounded
 * work: a single pass, no regular expressions; anything it cannot take apart is {@code null} (counted as malformed by
 * the caller), never an exception.
 *
 * @param stamp   time stamp text, or ""
 * @param program APP-NAME or tag without pid, or "" when there is none
 * @param message the message text
 */
public record SyslogMessage(String stamp, String program, String message) {

    /** Parses one message (a datagram or a TCP frame, already bounded); null when malformed. */
    public static SyslogMessage parse(String text) {
        try {
            return doParse(text);
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static SyslogMessage doParse(String t) {
        int n = t.length();
        while (n > 0 && (t.charAt(n - 1) == '\n' || t.charAt(n - 1) == '\r' || t.charAt(n - 1) == '\0')) {
            n--;
        }
        if (n < 4 || t.charAt(0) != '<') {
            return null;
        }
        int close = t.indexOf('>', 1);
        if (close < 2 || close > 4) {
            return null;
        }
        int pri = 0;
        for (int i = 1; i < close; i++) {
            char c = t.charAt(i);
            if (c < '0' || c > '9') {
                return null;
            }
            pri = pri * 10 + (c - '0');
        }
        if (pri > 191) {
            return null;
        }
        String rest = t.substring(close + 1, n);
        if (rest.length() >= 2 && rest.charAt(0) >= '1' && rest.charAt(0) <= '9' && rest.charAt(1) == ' ') {
            return rfc5424(rest.substring(2));
        }
        for (int i = 0; i < rest.length(); i++) {
            char c = rest.charAt(i);
            if (c < 0x20 && c != '\t') {
                return null;
            }
        }
        LogLine l = LogLine.parse(rest);
        if (l != null) {
            return new SyslogMessage(l.stamp(), l.program(), l.message());
        }
        return rest.isBlank() ? null : new SyslogMessage("", "", rest);
    }

    /** {@code TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP MSGID SP STRUCTURED-DATA [SP MSG]}. */
    private static SyslogMessage rfc5424(String s) {
        int[] pos = {0};
        String stamp = token(s, pos);
        token(s, pos); // host
        String app = token(s, pos);
        token(s, pos); // procid
        token(s, pos); // msgid
        if (pos[0] >= s.length() || stamp == null || app == null) {
            return null;
        }
        int i = pos[0];
        if (s.charAt(i) == '-') {
            i++;
        } else if (s.charAt(i) == '[') {
            while (i < s.length() && s.charAt(i) == '[') {
                i++;
                while (i < s.length() && s.charAt(i) != ']') {
                    if (s.charAt(i) == '\\') {
                        i++;
                    } else if (s.charAt(i) == '"') {
                        i++;
                        while (i < s.length() && s.charAt(i) != '"') {
                            i += s.charAt(i) == '\\' ? 2 : 1;
                        }
                    }
                    i++;
                }
                if (i >= s.length()) {
                    return null;
                }
                i++;
            }
        } else {
            return null;
        }
        String msg = i < s.length() && s.charAt(i) == ' ' ? s.substring(i + 1) : s.substring(Math.min(i, s.length()));
        if (msg.startsWith("\uFEFF")) {
            msg = msg.substring(1);
        }
        return new SyslogMessage(stamp.equals("-") ? "" : stamp, app.equals("-") ? "" : app, msg);
    }

    /** The next space-delimited header token (at most 255 characters), or null. */
    private static String token(String s, int[] pos) {
        int a = pos[0];
        int b = s.indexOf(' ', a);
        if (b <= a || b - a > 255) {
            return null;
        }
        pos[0] = b + 1;
        return s.substring(a, b);
    }
}
