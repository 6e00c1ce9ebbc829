package org.postwarden.ingest.parse;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.postwarden.model.ManualTimeSource;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Golden files of real-looking log lines for Postfix 3.5 to 3.11 and Dovecot 2.2 to 2.4: each {@code > } line must
 * parse into exactly the event its {@code = } line renders ({@code = ignored}: nothing).
 */
class GoldenFilesTest {
    private static final String[] FILES = {"postscreen", "smtpd-3.5", "smtpd-3.9", "smtpd-3.10", "dovecot",
        "delivery"};

    static LogLineParser parser() {
        return new LogLineParser(8192, new Timestamps(ZoneOffset.UTC,
                new ManualTimeSource(Instant.parse("2025-12-01T00:00:00Z").toEpochMilli())));
    }

    @TestFactory
    List<DynamicTest> goldenFiles() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        for (String f : FILES) {
            List<String> lines = read("/golden/" + f + ".golden");
            int cases = 0;
            for (int i = 0; i < lines.size(); i++) {
                String l = lines.get(i);
                if (!l.startsWith("> ")) {
                    continue;
                }
                String input = l.substring(2);
                String expected = lines.get(i + 1);
                assertTrue(expected.startsWith("= "), f + ":" + (i + 2) + " must follow a '> ' line with '= '");
                int lineNo = i + 1;
                cases++;
                tests.add(DynamicTest.dynamicTest(f + ":" + lineNo, () -> {
                    LogEvent e = parser().parse(input);
                    assertEquals(expected.substring(2), e == null ? "ignored" : e.render(),
                            f + ".golden line " + lineNo + ": " + input);
                }));
            }
            assertTrue(cases >= 5, f + " has test cases");
        }
        return tests;
    }

    private static List<String> read(String resource) throws IOException {
        try (InputStream in = GoldenFilesTest.class.getResourceAsStream(resource)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        }
    }

    @Test
    void timeStampsOfEveryHeaderForm() {
        LogLineParser p = parser();
        assertEquals(Instant.parse("2025-11-22T10:00:01Z").toEpochMilli(), p.parse(
                "Nov 22 10:00:01 mx postfix/postscreen[1]: PREGREET 1 after 0 from [192.0.2.1]:1: x").timeMillis());
        assertEquals(Instant.parse("2025-11-02T03:14:15.250Z").toEpochMilli(), p.parse(
                "Nov  2 03:14:15.250000 mx postfix/postscreen[1]: PREGREET 1 after 0 from [192.0.2.1]:1: x")
                .timeMillis());
        assertEquals(Instant.parse("2025-11-22T09:02:00.123Z").toEpochMilli(), p.parse("2025-11-22T10:02:00.123456"
                + "+01:00 mx postfix/smtpd[1]: lost connection after AUTH from unknown[192.0.2.1]").timeMillis());
        assertEquals(-1, p.parse("postfix/smtpd[1]: lost connection after AUTH from unknown[192.0.2.1]")
                .timeMillis(), "no stamp, no time");
    }

    @Test
    void classicStampsGetTheirYearFromTheClockAndCountOnOverNewYear() {
        // the clock says January 2026: a December line is last year's, and the stream then runs into January
        LogLineParser p = new LogLineParser(8192, new Timestamps(ZoneOffset.UTC,
                new ManualTimeSource(Instant.parse("2026-01-03T00:00:00Z").toEpochMilli())));
        String tail = " mx postfix/postscreen[1]: PREGREET 1 after 0 from [192.0.2.1]:1: x";
        assertEquals(Instant.parse("2025-12-31T23:59:59Z").toEpochMilli(), p.parse("Dec 31 23:59:59" + tail)
                .timeMillis());
        assertEquals(Instant.parse("2026-01-01T00:00:01Z").toEpochMilli(), p.parse("Jan  1 00:00:01" + tail)
                .timeMillis());
    }
}
