package org.postwarden.ingest.parse;

import java.util.Collection;
import java.util.List;
import java.util.Set;

/**
 * Turns log lines into {@link LogEvent}s: splits the syslog header ({@link LogLine}), dispatches on the program
 * (postscreen, smtpd/tlsproxy, delivery agents, Dovecot login processes) and stamps the event with the line's time. Lines longer
 * than the configured maximum are refused before anything looks at them; every other line costs a few
 * {@code indexOf} calls when it is of no interest. Thread-safe when its {@link Timestamps} is (it is).
 *
 * <p>Program names are read only in the forms Postfix and Dovecot write them: {@code postfix/PROGRAM} (also
 * {@code postfix/submission/smtpd}), {@code postfix-NAME/PROGRAM} (a multi-instance site), {@code dovecot} with the
 * message {@code imap-login: ...} (syslog), {@code imap-login}, {@code pop3-login}, {@code submission-login} and
 * {@code managesieve-login} (Dovecot's own {@code log_path} file), plus the names of {@code ingest.program-names}.
 * A syslog tag is chosen by whoever sends the line, so this keeps stray programs' lines out, not forgers: the
 * per-line cap of the engine is the defence against those (docs/security.md).
 */
public final class LogLineParser {
    /** Dovecot's login processes, as its own log file names them. */
    static final Set<String> DOVECOT_LOGINS = Set.of("imap-login", "pop3-login", "submission-login",
            "managesieve-login");
    private final int maxLineLength;
    private final Timestamps timestamps;
    private final Set<String> names;

    public LogLineParser(int maxLineLength, Timestamps timestamps) {
        this(maxLineLength, timestamps, List.of());
    }

    /** A parser that also reads the syslog names {@code programNames} ({@code ingest.program-names}). */
    public LogLineParser(int maxLineLength, Timestamps timestamps, Collection<String> programNames) {
        this.maxLineLength = maxLineLength;
        this.timestamps = timestamps;
        this.names = Set.copyOf(programNames);
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
        String daemon = postfixDaemon(program);
        if (daemon != null) {
            return postfix(daemon, message);
        }
        if (program.equals("dovecot")) {
            return DovecotLineParser.parse(message);
        }
        if (DOVECOT_LOGINS.contains(program)) {
            return DovecotLineParser.parse(program + ": " + message);
        }
        if (names.contains(program)) {
            if (program.endsWith("-login")) {
                return DovecotLineParser.parse(program + ": " + message);
            }
            if (postfixProgram(program)) {
                return postfix(program, message);
            }
            return DovecotLineParser.parse(message); // a Dovecot instance_name
        }
        return null;
    }

    /**
     * The Postfix program of a tag {@code SYSLOG_NAME/.../PROGRAM} whose syslog name is {@code postfix},
     * {@code postfix-NAME} or one of {@code ingest.program-names}, else null.
     */
    private String postfixDaemon(String program) {
        int slash = program.indexOf('/');
        if (slash <= 0 || slash == program.length() - 1) {
            return null;
        }
        String head = program.substring(0, slash);
        boolean ours = head.equals("postfix") || head.startsWith("postfix-") && head.length() > 8
                || names.contains(head);
        return ours ? program.substring(program.lastIndexOf('/') + 1) : null;
    }

    private static boolean postfixProgram(String daemon) {
        return daemon.equals("smtpd") || daemon.equals("tlsproxy") || daemon.equals("postscreen")
                || DeliveryLineParser.isAgent(daemon);
    }

    private static LogEvent postfix(String daemon, String message) {
        return switch (daemon) {
            case "smtpd", "tlsproxy" -> SmtpdLineParser.parse(message);
            case "postscreen" -> PostscreenLineParser.parse(message);
            default -> DeliveryLineParser.isAgent(daemon) ? DeliveryLineParser.parse(message) : null;
        };
    }

    /**
     * Whether {@code program} is a name this parser reads (Postfix's and Dovecot's forms, {@code ingest.program-names}),
     * whatever the message.
     */
    public boolean reads(String program) {
        return postfixDaemon(program) != null || program.equals("dovecot") || DOVECOT_LOGINS.contains(program)
                || names.contains(program);
    }

    /** Epoch millis of a time stamp text ({@link LogLine#stamp()}), or -1. */
    public long time(String stamp) {
        return timestamps.parse(stamp);
    }
}
