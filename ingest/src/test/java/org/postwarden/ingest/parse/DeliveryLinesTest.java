package org.postwarden.ingest.parse;

import org.junit.jupiter.api.Test;
import org.postwarden.api.DeliveryOutcomes;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Delivery lines beyond the golden file: which programs are agents, hostile and mutated lines. */
class DeliveryLinesTest {
    private static final String LINE = "Nov 22 10:00:01 mx postfix/smtp[1234]: 4ABC12DEF: to=<bob@example.net>, "
            + "orig_to=<\"b\\\"o>b\"@example.net>, relay=mx.example.net[192.0.2.10]:25, delay=0.5, "
            + "delays=0.1/0/0.2/0.2, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 9XYZ)";
    private final LogLineParser parser = GoldenFilesTest.parser();

    @Test
    void agentsByProgramName() {
        for (String p : new String[] {"postfix/smtp", "postfix/lmtp", "postfix/local", "postfix/virtual",
            "postfix/pipe", "postfix/error", "postfix/discard", "postfix/submission/smtp", "postfix-out/smtp",
            "smtp"}) {
            assertTrue(DeliveryLineParser.isAgent(p), p);
        }
        for (String p : new String[] {"postfix/smtpd", "postfix/qmgr", "postfix/bounce", "postfix/cleanup",
            "postfix/xsmtp", "mysmtp", "postfix/postscreen"}) {
            assertFalse(DeliveryLineParser.isAgent(p), p);
        }
    }

    @Test
    void quotedAddressesWithEscapedQuotesAreSkippedWhole() {
        LogEvent e = parser.parse(LINE);
        assertEquals(new LogEvent.Delivery("4ABC12DEF", DeliveryOutcomes.Status.SENT), e.delivery());
        assertEquals(LogCategory.DELIVERY, e.category());
        assertNull(e.signal());
        assertNull(e.client());
        assertEquals("bob@example.net", e.recipient());
        assertTrue(e.detail().contains("dsn=2.0.0"), e.detail());
    }

    @Test
    void unterminatedOrHugeAddressesAreNotDeliveries() {
        assertNull(parser.parse("postfix/smtp[1]: 4ABC12DEF: to=<\"never closed, status=sent (x)"));
        assertNull(parser.parse("postfix/smtp[1]: 4ABC12DEF: to=<" + "a".repeat(2000) + ">, relay=none, "
                + "dsn=2.0.0, status=sent (x)"));
        assertNull(parser.parse("postfix/smtp[1]: 4ABC12DEF: to=<a@b>, relay=none, dsn=2.0.0, status=sentx"));
        assertNull(parser.parse("postfix/smtp[1]: 4ABC12DEF: to=<a@b>, Relay=none, dsn=2.0.0, status=sent"));
        assertNull(parser.parse("postfix/smtp[1]: 4ABC12DEF: to=<a@b> relay=none, dsn=2.0.0, status=sent"));
        assertNull(parser.parse("postfix/smtp[1]: 4AB: to=<a@b>, relay=none, dsn=2.0.0, status=sent"));
    }

    @Test
    void mutatedDeliveryLinesNeverThrow() {
        Random r = new Random(11);
        String noise = "<>\",= ()\\\u0000\uFFFF:0123456789";
        for (int i = 0; i < 50_000; i++) {
            StringBuilder sb = new StringBuilder(LINE);
            int edits = 1 + r.nextInt(4);
            for (int k = 0; k < edits && sb.length() > 0; k++) {
                int at = r.nextInt(sb.length());
                switch (r.nextInt(3)) {
                    case 0 -> sb.deleteCharAt(at);
                    case 1 -> sb.insert(at, noise.charAt(r.nextInt(noise.length())));
                    default -> sb.setCharAt(at, noise.charAt(r.nextInt(noise.length())));
                }
            }
            LogEvent e = parser.parse(sb.toString());
            if (e != null && e.delivery() != null) {
                assertFalse(e.delivery().queueId().isEmpty());
                assertTrue(e.recipient().chars().noneMatch(c -> c < 0x20), e.recipient());
            }
        }
    }
}
