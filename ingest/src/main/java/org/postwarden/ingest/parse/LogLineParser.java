package org.postwarden.ingest.parse;

/**
 * Turns log lines into {@link LogEvent}s: splits the syslog header ({@link LogLine}), dispatches on the program
 * (postscreen, smtpd/tlsproxy, delivery agents, Dovecot login processes) and stamps the event with the line's time. Lines longer
 * than the configured maximum are refused before anything looks at them; every other line costs a few
 * {@code indexOf} calls when it is of no interest. Thread-safe when its {@link Timestamps} is (it is).
 */
public final class LogLineParser {
    private final int maxLineLength;
    private final Timestamps timestamps;

    public LogLineParser(int maxLineLength, Timestamps timestamps) {
        this.maxLineLength = maxLineLength;
        this.timestamps = timestamps;
    }

    /** What became of a line. */
    public enum Result { EVENT, IGNORED, TOO_LONG }

    public int maxLineLength() {
        return maxLineLength;
    }

    /** Whether {@code line} is over the length limit (such lines are never parsed). */
    public boolean tooLong(CharSequence line) {
        return line.length() > maxLineLength;
    }

    /** The event in a whole log line (header included), or null when there is none or the line is too long. */
    public LogEvent parse(String line) {
        if (line == null || line.length() > maxLineLength) {
            return null;
        }
        LogLine l = LogLine.parse(line);
        if (l == null) {
            return null;
        }
        LogEvent e = parse(l.program(), l.message());
        if (e == null) {
            return null;
        }
        return e.at(timestamps.parse(l.stamp()));
    }

    /**
     * The event in a message whose header was already taken apart (syslog receiver): {@code program} is the tag
     * without pid. The event has no time (the caller stamps it). Null when of no interest.
     */
    public LogEvent parse(String program, String message) {
        if (message == null || message.length() > maxLineLength || program == null) {
            return null;
        }
        // Postfix programs log as SYSLOG_NAME/PROGRAM (postfix/smtpd, postfix/submission/smtpd, postfix-in/smtpd)
        if (program.endsWith("/smtpd") || program.endsWith("/tlsproxy")) {
            return SmtpdLineParser.parse(message);
        }
        if (program.endsWith("/postscreen")) {
            return PostscreenLineParser.parse(message);
        }
        if (program.equals("dovecot")) {
            return DovecotLineParser.parse(message);
        }
        if (program.endsWith("-login")) {
            return DovecotLineParser.parse(program + ": " + message);
        }
        if (program.equals("smtpd") || program.equals("tlsproxy")) {
            return SmtpdLineParser.parse(message);
        }
        if (program.equals("postscreen")) {
            return PostscreenLineParser.parse(message);
        }
        if (DeliveryLineParser.isAgent(program)) {
            return DeliveryLineParser.parse(message);
        }
        return null;
    }

    /**
     * Whether {@code program} is one this parser reads (Postfix smtpd/tlsproxy/postscreen, delivery agents,
     * Dovecot).
     */
    public static boolean knows(String program) {
        return program.endsWith("/smtpd") || program.endsWith("/tlsproxy") || program.endsWith("/postscreen")
                || program.equals("dovecot") || program.endsWith("-login") || program.equals("smtpd")
                || program.equals("tlsproxy") || program.equals("postscreen") || program.startsWith("postfix")
                || DeliveryLineParser.isAgent(program);
    }

    /** Epoch millis of a time stamp text ({@link LogLine#stamp()}), or -1. */
    public long time(String stamp) {
        return timestamps.parse(stamp);
    }
}
