package org.postwarden.ingest.parse;

import org.junit.jupiter.api.Test;

import java.time.ZoneOffset;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Program names are read only in the forms Postfix and Dovecot write them, plus {@code ingest.program-names}: a
 * line of another program that happens to say the right words is ignored.
 */
class ProgramNamesTest {
    static final String PREGREET = "PREGREET 11 after 0.15 from [203.0.113.7]:52010: EHLO x";
    static final String SASL = "warning: unknown[203.0.113.20]: SASL LOGIN authentication failed: UGFzc3dvcmQ6";
    static final String LOGIN = "Disconnected (auth failed, 2 attempts in 4 secs): user=<bob>, method=PLAIN, "
            + "rip=203.0.113.60, lip=198.51.100.25";

    static LogLineParser parser(List<String> names) {
        return new LogLineParser(8192, new Timestamps(ZoneOffset.UTC,
                new org.postwarden.model.ManualTimeSource(1_764_000_000_000L)), names);
    }

    final LogLineParser plain = parser(List.of());

    @Test
    void postfixTagsOfOneAndManyInstancesAreRead() {
        assertNotNull(plain.parse("postfix/postscreen", PREGREET));
        assertNotNull(plain.parse("postfix/smtpd", SASL));
        assertNotNull(plain.parse("postfix/submission/smtpd", SASL));
        assertNotNull(plain.parse("postfix-in/smtpd", SASL));
        assertNotNull(plain.parse("postfix-out/postscreen", PREGREET));
        assertNotNull(plain.parse("postfix/tlsproxy", "SSL_accept error from unknown[203.0.113.9]: -1"));
    }

    @Test
    void dovecotsSyslogAndLogFileFormsAreRead() {
        assertEquals(2, plain.parse("dovecot", "imap-login: " + LOGIN).count());
        assertNotNull(plain.parse("imap-login", "Info: " + LOGIN));
        assertNotNull(plain.parse("pop3-login", "Info: " + LOGIN));
        assertNotNull(plain.parse("submission-login", LOGIN));
        assertNotNull(plain.parse("managesieve-login", LOGIN));
    }

    @Test
    void otherProgramsSayingTheSameWordsAreIgnored() {
        // these were all read before: any tag ending in /smtpd or -login, and bare Postfix program names
        assertNull(plain.parse("evil/smtpd", SASL));
        assertNull(plain.parse("cron/postscreen", PREGREET));
        assertNull(plain.parse("postfix-/smtpd", SASL));
        assertNull(plain.parse("smtpd", SASL));
        assertNull(plain.parse("postscreen", PREGREET));
        assertNull(plain.parse("x-login", LOGIN));
        assertNull(plain.parse("backdoor-login", "Info: " + LOGIN));
        assertNull(plain.parse("Nov 22 10:00:01 mx logger-login[1]: " + LOGIN));
        assertNull(plain.parse("Nov 22 10:00:01 mx myapp/smtpd[1]: " + SASL));
        assertFalse(plain.reads("evil/smtpd"));
        assertFalse(plain.reads("smtpd"));
        assertTrue(plain.reads("postfix-in/smtpd"));
    }

    @Test
    void configuredNamesAreReadLikePostfixOrDovecot() {
        LogLineParser p = parser(List.of("mail", "smtpd", "mydovecot", "imaps-login"));
        assertNotNull(p.parse("mail/smtpd", SASL), "syslog_name = mail");
        assertNotNull(p.parse("mail/submission/smtpd", SASL));
        assertNotNull(p.parse("smtpd", SASL), "a bare program name, e.g. from a container");
        assertEquals(2, p.parse("mydovecot", "imap-login: " + LOGIN).count(), "a Dovecot instance_name");
        assertNotNull(p.parse("imaps-login", LOGIN));
        assertNull(p.parse("postscreen", PREGREET), "only the names configured");
        assertNull(p.parse("other/smtpd", SASL));
    }
}
