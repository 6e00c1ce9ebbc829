package org.postwarden.ingest.parse;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Huge, binary and adversarial lines: bounded, never an exception, never a wrong event. */
class HostileLinesTest {
    private static final String NOISE = "[]:<>,= ()\u0000\uFFFF0123456789";
    private final LogLineParser parser = GoldenFilesTest.parser();

    @Test
    void overLongLinesAreRefusedBeforeParsing() {
        String huge = "Nov 22 10:00:01 mx postfix/postscreen[1]: PREGREET 11 after 0 from [192.0.2.1]:1: "
                + "A".repeat(10_000);
        assertTrue(parser.tooLong(huge));
        assertNull(parser.parse(huge));
        assertNull(parser.parse("x".repeat(5_000_000)));
    }

    @Test
    void randomBytesNeverThrowAndRarelyParse() {
        Random r = new Random(42);
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            for (int i = 0; i < 50_000; i++) {
                char[] c = new char[r.nextInt(300)];
                for (int j = 0; j < c.length; j++) {
                    c[j] = (char) r.nextInt(256);
                }
                assertNull(parser.parse(new String(c)));
            }
        });
    }

    @Test
    void mutatedRealLinesNeverThrow() {
        String h = "Nov 22 10:00:01 mx ";
        String[] seeds = {
            h + "postfix/postscreen[1201]: PREGREET 11 after 0.15 from [203.0.113.7]:52010: EHLO x\\r\\n",
            h + "postfix/smtpd[2201]: warning: unknown[203.0.113.20]: SASL LOGIN authentication failed: U",
            h + "postfix/smtpd[2201]: disconnect from unknown[203.0.113.20] ehlo=1 auth=0/1 commands=1/2",
            h + "dovecot: imap-login: Disconnected (auth failed, 1 attempts in 2 secs): user=<b>, rip=1.2.3.4",
            h + "postfix/smtpd[2204]: NOQUEUE: reject: RCPT from unknown[203.0.113.23]: 554 5.7.1 <v@e.t>: "
                    + "Relay access denied; from=<s@x.t> to=<v@e.t> proto=ESMTP helo=<W>",
        };
        Random r = new Random(7);
        for (int i = 0; i < 100_000; i++) {
            StringBuilder sb = new StringBuilder(seeds[i % seeds.length]);
            int edits = 1 + r.nextInt(4);
            for (int k = 0; k < edits && sb.length() > 0; k++) {
                int at = r.nextInt(sb.length());
                switch (r.nextInt(3)) {
                    case 0 -> sb.deleteCharAt(at);
                    case 1 -> sb.insert(at, NOISE.charAt(r.nextInt(NOISE.length())));
                    default -> sb.setLength(at);
                }
            }
            parser.parse(sb.toString()); // must not throw
        }
    }

    @Test
    void manyBracketsAndDelimitersStayLinear() {
        String nasty = "Nov 22 10:00:01 mx postfix/smtpd[1]: warning: " + "[".repeat(4000) + ": SASL "
                + "x".repeat(3000);
        assertTimeoutPreemptively(Duration.ofSeconds(2), () -> {
            for (int i = 0; i < 1000; i++) {
                assertNull(parser.parse(nasty));
            }
        });
    }

    @Test
    void clientTextIsEscapedInDetails() {
        LogEvent e = parser.parse("Nov 22 10:00:01 mx postfix/postscreen[1]: PREGREET 11 after 0.15 from "
                + "[192.0.2.1]:5: \u001b[31mEHLO\u0007");
        assertEquals("PREGREET 11 after 0.15: \\x1B[31mEHLO\\x07", e.detail());
    }
}
