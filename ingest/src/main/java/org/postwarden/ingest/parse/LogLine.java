package org.postwarden.ingest.parse;

/**
 * A log line split into its syslog header and message: {@code [STAMP] [HOST] PROGRAM[PID]: MESSAGE}. The time stamp
 * is kept as text and only turned into a time when an interesting line needs it.
 *
 * @param stamp   time stamp text ({@code Nov 22 10:00:01}, {@code 2025-11-22T10:00:01.123+01:00}), or "" if none
 * @param program the tag without pid, e.g. {@code postfix/smtpd}, {@code dovecot}, {@code imap-login}
 * @param message the text after {@code ": "}
 */
public record LogLine(String stamp, String program, String message) {

    /**
     * Splits {@code line}; returns null when it has no {@code PROGRAM: message} structure. Accepts the classic syslog
     * stamp (with optional fraction, as Postfix's {@code maillog_file} and traditional syslog write it), RFC 3339
     * stamps (rsyslog's high-precision format), and no stamp at all (container output); the host is optional (Dovecot's
     * own log files have none). Cheap: a few {@code indexOf} calls, no regular expressions.
     */
    public static LogLine parse(String line) {
        int n = line.length();
        int i = 0;
        String stamp = "";
        if (n >= 16 && Timestamps.isClassic(line, 0)) {
            int end = 15;
            if (end < n && line.charAt(end) == '.') {
                end++;
                while (end < n && Character.isDigit(line.charAt(end))) {
                    end++;
                }
            }
            stamp = line.substring(0, end);
            i = end;
        } else if (n >= 20 && Timestamps.isIso(line, 0)) {
            int end = line.indexOf(' ');
            if (end < 0) {
                return null;
            }
            stamp = line.substring(0, end);
            i = end;
        }
        while (i < n && line.charAt(i) == ' ') {
            i++;
        }
        int j = line.indexOf(' ', i);
        if (j <= i) {
            return null;
        }
        if (line.charAt(j - 1) != ':') {
            // a host name, then the tag
            i = j + 1;
            j = line.indexOf(' ', i);
            if (j <= i || line.charAt(j - 1) != ':') {
                return null;
            }
        }
        int tagEnd = j - 1;
        int bracket = line.indexOf('[', i);
        int programEnd = bracket > i && bracket < tagEnd ? bracket : tagEnd;
        if (programEnd <= i) {
            return null;
        }
        return new LogLine(stamp, line.substring(i, programEnd), line.substring(j + 1));
    }
}
