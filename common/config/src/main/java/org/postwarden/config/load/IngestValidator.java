package org.postwarden.config.load;

import org.postwarden.config.PostwardenConfig;

import java.time.Duration;

/** The {@code ingest:} section: followed log files, the syslog receiver, polling, line limits and the offsets file. */
final class IngestValidator {
    private IngestValidator() {
    }

    static void validate(PostwardenConfig.Ingest in, Problems p) {
        p.each("ingest.files", in.files(), IngestValidator::path);
        p.each("ingest.docker-json", in.dockerJson(), IngestValidator::path);
        p.duration("ingest.poll-interval", in.pollInterval(), Duration.ofMillis(10), Duration.ofMinutes(1));
        p.wholeNumber("ingest.max-line-length", in.maxLineLength(), 256, 1 << 20);
        p.filePath("ingest.state-path", in.statePath(), "a file path, or \"\" to always start at the end");
        p.duration("ingest.max-line-age", in.maxLineAge(), Duration.ZERO, Duration.ofDays(365));
        p.ifPresent("ingest.syslog", in.syslog(), s -> syslog(s, p));
        p.ifPresent("ingest.journal", in.journal(), j -> journal(j, p));
        p.wholeNumber("ingest.max-attempts-per-line", in.maxAttemptsPerLine(), 1, 100);
        p.require("ingest.max-line-share", in.maxLineShare(), in.maxLineShare() > 0 && in.maxLineShare() < 1,
                "a share above 0 and below 1 of bans.threshold, so that no single log line bans");
        p.each("ingest.program-names", in.programNames(), IngestValidator::programName);
    }

    private static void journal(PostwardenConfig.Journal j, Problems p) {
        p.strings("ingest.journal.command", j.command());
        if (j.command() != null && j.command().isEmpty()) {
            p.fail("ingest.journal.command", "[]", "a command, e.g. [journalctl]");
        }
        p.each("ingest.journal.units", j.units(), u -> u == null || !u.matches("[A-Za-z0-9@._:*\\\\-]{1,256}")
                ? "a systemd unit name or glob, e.g. postfix@*.service" : null);
        p.strings("ingest.journal.commands", j.commands());
        if (j.enabled() && j.units() != null && j.commands() != null && j.units().isEmpty()
                && j.commands().isEmpty()) {
            p.fail("ingest.journal.units", "[]", "at least one unit or command when ingest.journal.enabled is true");
        }
        if (p.present("ingest.journal.uids", j.uids())) {
            for (int i = 0; i < j.uids().size(); i++) {
                Long u = j.uids().get(i);
                p.require("ingest.journal.uids[" + i + "]", u, u != null && u >= 0 && u <= 4_294_967_294L,
                        "a user id from 0 to 4294967294");
            }
        }
        p.filePath("ingest.journal.cursor-path", j.cursorPath(), "a file path, or \"\" to always start at the end");
        p.duration("ingest.journal.restart-delay", j.restartDelay(), Duration.ofMillis(100), Duration.ofHours(1));
    }

    /** A syslog tag as it appears before {@code [PID]: } (no space, colon, bracket or slash at either end). */
    private static String programName(String s) {
        if (s == null || s.isEmpty() || s.length() > 64 || s.startsWith("/") || s.endsWith("/")) {
            return "a syslog program name of 1 to 64 characters, e.g. mail or postfix-in";
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c <= ' ' || c == ':' || c == '[' || c == ']' || c > '~') {
                return "a syslog program name without spaces, ':', '[' or ']', e.g. mail or postfix-in";
            }
        }
        return null;
    }

    private static String path(String s) {
        return s == null || s.isBlank() || s.indexOf('\u0000') >= 0 ? "a file path" : null;
    }

    private static void syslog(PostwardenConfig.Syslog s, Problems p) {
        boolean udp = p.nonBlank("ingest.syslog.udp", s.udp());
        boolean tcp = p.nonBlank("ingest.syslog.tcp", s.tcp());
        if (udp) {
            p.hostPort("ingest.syslog.udp", s.udp());
        }
        if (tcp) {
            p.hostPort("ingest.syslog.tcp", s.tcp());
        }
        if (s.enabled() && !udp && !tcp) {
            p.fail("ingest.syslog.udp", "", "a host:port in ingest.syslog.udp or ingest.syslog.tcp when "
                    + "ingest.syslog.enabled is true");
        }
        p.wholeNumber("ingest.syslog.max-message-bytes", s.maxMessageBytes(), 480, 1 << 20);
        p.wholeNumber("ingest.syslog.max-connections", s.maxConnections(), 1, 100_000);
        p.positive("ingest.syslog.idle-timeout", s.idleTimeout());
        p.wholeNumber("ingest.syslog.max-connections-per-source", s.maxConnectionsPerSource(), 0, 100_000);
        Limits.listener("ingest.syslog", s.requestDeadline(), s.maxBufferedBytes(), s.maxMessageBytes(),
                "ingest.syslog.max-message-bytes", p);
        p.cidrs("ingest.syslog.allowed-sources", s.allowedSources());
        if (s.enabled() && s.allowedSources() != null && s.allowedSources().isEmpty()) {
            p.fail("ingest.syslog.allowed-sources", "[]", "at least one network (e.g. [127.0.0.0/8, \"::1/128\"]) "
                    + "when ingest.syslog.enabled is true");
        }
    }
}
