package org.postwarden.ingest.parse;

import com.code_intelligence.jazzer.junit.FuzzTest;

import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fuzzes every log-line parser with Jazzer (regression mode over {@code LogLineFuzzTestInputs/<method>/} in
 * {@code ./mvnw verify}; {@code JAZZER_FUZZ=1} fuzzes, see docs/fuzzing.md). Each input is read as UTF-8 log text,
 * one line per {@code \n}: as a whole line (header and all), as the message of every program the parsers know, and
 * by each program's parser directly. A line gives an event or nothing, never an exception; an event is well formed
 * (a category, a kind, a signal or a delivery, a positive count).
 */
class LogLineFuzzTest {
    static final int MAX_LINE = 2048;
    static final String[] PROGRAMS = {"postfix/smtpd", "postfix/submission/smtpd", "postfix-in/smtpd",
        "postfix/tlsproxy", "postfix/postscreen", "postfix/smtp", "postfix/lmtp", "postfix/local", "postfix/virtual",
        "postfix/pipe", "postfix/error", "smtpd", "postscreen", "dovecot", "imap-login", "pop3-login",
        "submission-login", "managesieve-login", "postfix/qmgr", "postfix/cleanup"};
    private final LogLineParser parser = new LogLineParser(MAX_LINE,
            new Timestamps(ZoneOffset.UTC, () -> 1_800_000_000_000L));

    @FuzzTest(maxDuration = "5m")
    void everyParserGivesAnEventOrNothing(byte[] input) {
        for (String line : new String(input, StandardCharsets.UTF_8).split("\n", 64)) {
            check(parser.parse(line));
            LogLine l = LogLine.parse(line);
            if (l != null) {
                assertNotNull(l.program());
                parser.time(l.stamp());
            }
            for (String program : PROGRAMS) {
                check(parser.parse(program, line));
            }
            check(SmtpdLineParser.parse(line));
            check(PostscreenLineParser.parse(line));
            check(DovecotLineParser.parse(line));
            check(DeliveryLineParser.parse(line));
        }
    }

    private static void check(LogEvent e) {
        if (e == null) {
            return;
        }
        assertNotNull(e.category(), e::toString);
        assertNotNull(e.kind(), e::toString);
        assertTrue(e.signal() != null || e.delivery() != null || e.client() != null, e::toString);
        assertTrue(e.count() >= 0, e::toString);
        e.render();
    }
}
