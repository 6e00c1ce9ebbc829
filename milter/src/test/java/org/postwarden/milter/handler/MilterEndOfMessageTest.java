package org.postwarden.milter.handler;

import org.junit.jupiter.api.Test;
import org.postwarden.milter.MilterTestSupport;
import org.postwarden.milter.MilterTestSupport.Mta;
import org.postwarden.milter.MilterTestSupport.Reply;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MilterEndOfMessageTest {
    static final String BASE = """
            networks: {local-domains: [example.test]}
            scoring: {thresholds: {tag: 2, defer: 0, reject: 0}}
            """;

    static Mta session(MilterTestSupport s, String ip, int port, String helo, String auth, String rcpt) {
        Mta m = s.mta();
        m.optneg();
        m.connect(ip, port);
        m.helo(helo);
        m.mail("sender@example.test", auth);
        m.rcpt(rcpt, "");
        return m;
    }

    static List<Reply> message(Mta m, String subject, String body, String queueId) {
        m.header("Subject", subject);
        m.body(body);
        return m.eom(queueId);
    }

    @Test
    void theReportHeaderCarriesScoreActionAndReasonsWhenEnabled() throws Exception {
        MilterTestSupport s = new MilterTestSupport(BASE + "milter: {header: {enabled: true}}\n");
        Mta m = session(s, "198.51.100.50", 1, "WIN-ABCDEFG1", "", "friend@elsewhere.example");
        List<Reply> eom = message(m, "hi", "text\r\n", "4Q1");
        assertEquals(3, eom.size(), eom.toString());
        assertEquals('h', eom.get(0).command());
        assertEquals("X-Postwarden-Report\0score=6.5 action=tag reasons=helo-generic,score,relay-attempt\0",
                eom.get(0).text(), "helo (2.5) and relay (4.0) signals; a tag verdict at the end");
        assertEquals("X-Postwarden-Score\0score 6.5 for host 198.51.100.50/32\0", eom.get(1).text(),
                "the score tag, kept from RCPT for the end of the message");
        assertEquals('c', eom.get(2).command());
    }

    @Test
    void noReportHeaderByDefault() throws Exception {
        MilterTestSupport s = new MilterTestSupport("networks: {local-domains: [example.test]}\n");
        Mta m = s.mta();
        m.optneg();
        m.connect("198.51.100.51", 1);
        m.mail("a@example.test", "");
        m.rcpt("b@example.test", "");
        List<Reply> eom = message(m, "hi", "text", "4Q2");
        assertEquals(1, eom.size(), eom.toString());
        assertEquals('c', eom.get(0).command());
    }

    @Test
    void identicalMessagesOfOneUserBeyondTheLimitAreQuarantined() throws Exception {
        MilterTestSupport s = new MilterTestSupport(BASE + "milter: {identical-messages: [{window: 1h, max: 2}],"
                + " fingerprint: {body-prefix-bytes: 64}}\n");
        for (int i = 1; i <= 3; i++) {
            Mta m = session(s, "192.0.2." + i, 1000 + i, "laptop.example.org", "alice", "friend@elsewhere.example");
            m.header("Subject", "Cheap stuff");
            assertEquals('c', m.body("Buy   now!\r\n").command(), "the prefix is not complete: more body please");
            assertEquals('s', m.body("x".repeat(100)).command(), "the prefix is complete: skip the rest");
            List<Reply> eom = m.eom("4F" + i);
            if (i <= 2) {
                assertEquals(List.of('c'), eom.stream().map(Reply::command).toList(), "message " + i);
            } else {
                assertEquals('q', eom.get(0).command(), eom.toString());
                assertTrue(eom.get(0).text().startsWith("outbound fan-out: more than 2 identical messages per 1h"
                        + " from user alice"), eom.get(0).text());
                assertEquals('c', eom.get(1).command());
            }
        }
        assertEquals(1.0, s.counter("postwarden.decisions", "source", "milter", "stage", "end-of-message",
                "action", "hold", "reason", "identical-messages"));
        assertEquals(1.0, s.counter("postwarden.milter.replies", "stage", "end-of-message", "reply", "quarantine"));
    }

    @Test
    void differentContentOrDifferentUsersAreNotHeld() throws Exception {
        MilterTestSupport s = new MilterTestSupport(BASE + "milter: {identical-messages: [{window: 1h, max: 1}]}\n");
        String[][] sends = {{"alice", "one"}, {"alice", "two"}, {"bob", "one"}, {"", "one"}, {"", "one"}};
        int port = 0;
        for (String[] send : sends) {
            Mta m = session(s, "192.0.2.77", ++port, "laptop.example.org", send[0], "friend@example.test");
            m.header("Subject", send[1]);
            m.body("same body");
            List<Reply> eom = m.eom("4G" + port);
            assertEquals(List.of('c'), eom.stream().map(Reply::command).toList(), String.join("/", send));
        }
    }

    @Test
    void aFingerprintIgnoresCaseWhitespaceAndReplyPrefixes() throws Exception {
        MilterTestSupport s = new MilterTestSupport(BASE + "milter: {identical-messages: [{window: 1h, max: 1}]}\n");
        Mta first = session(s, "192.0.2.80", 1, "laptop.example.org", "carol", "friend@elsewhere.example");
        first.header("Subject", "Invoice 42");
        first.body("Please  PAY\r\nnow");
        assertEquals('c', first.eom("4H1").get(0).command());
        Mta second = session(s, "192.0.2.80", 2, "laptop.example.org", "carol", "friend@elsewhere.example");
        second.header("Subject", "RE: Fwd: invoice   42");
        second.body("please pay now\r\n");
        assertEquals('q', second.eom("4H2").get(0).command());
    }
}
