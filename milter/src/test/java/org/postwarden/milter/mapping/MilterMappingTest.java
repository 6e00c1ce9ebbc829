package org.postwarden.milter.mapping;

import org.junit.jupiter.api.Test;
import org.nightcode.milter.codec.MilterPacket;
import org.postwarden.milter.codec.MilterWire;
import org.postwarden.milter.session.MilterSession;
import org.postwarden.milter.session.Negotiation;
import org.postwarden.model.MailEvent;
import org.postwarden.model.SmtpStage;
import org.postwarden.verdict.Verdict;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class MilterMappingTest {
    static String text(MilterPacket p) {
        return new String(p.payload(), StandardCharsets.ISO_8859_1);
    }

    @Test
    void eventsTakeTheClientFromMacrosThenFromTheConnectPacket() {
        MilterSession s = new MilterSession(0);
        s.connect(new MilterWire.Connect("[2001:db8::7]", '6', 2525, "2001:db8::7"));
        MailEvent fromPacket = MilterEventMapper.toEvent(s, SmtpStage.CONNECT, "", "");
        assertEquals("2001:db8:0:0:0:0:0:7", fromPacket.client().getHostAddress());
        assertEquals(2525, fromPacket.clientPort());
        assertEquals("unknown", fromPacket.clientName());
        s.macros(Map.of("{client_addr}", "IPv6:2001:db8::8", "{client_port}", "4000", "{client_name}",
                "mx.example.org", "i", "4QID", "{auth_authen}", "alice"));
        s.startMessage("a@example.org");
        MailEvent e = MilterEventMapper.toEvent(s, SmtpStage.RCPT, "b@example.net", "");
        assertEquals("2001:db8:0:0:0:0:0:8", e.client().getHostAddress());
        assertEquals(4000, e.clientPort());
        assertEquals("mx.example.org", e.clientName());
        assertEquals("4QID", e.queueId());
        assertEquals("alice", e.saslUsername());
        assertEquals("a@example.org", e.sender());
        assertEquals("milter", e.source());
        assertEquals("", e.instance());
    }

    @Test
    void theDaemonPortAndNameTellASubmissionService() {
        MilterSession s = new MilterSession(0);
        s.connect(new MilterWire.Connect("[192.0.2.1]", '4', 40000, "192.0.2.1"));
        s.macros(Map.of("{daemon_port}", "587", "{daemon_name}", "ORIGINATING"));
        MailEvent e = MilterEventMapper.toEvent(s, SmtpStage.CONNECT, "", "");
        assertEquals(587, e.serverPort());
        assertEquals("ORIGINATING", e.daemonName());
        MilterSession plain = new MilterSession(0);
        plain.connect(new MilterWire.Connect("[192.0.2.1]", '4', 40000, "192.0.2.1"));
        assertEquals(-1, MilterEventMapper.toEvent(plain, SmtpStage.CONNECT, "", "").serverPort(), "no macro");
    }

    @Test
    void namesAndJunkAreNeverResolved() {
        MilterSession s = new MilterSession(0);
        s.connect(new MilterWire.Connect("host", '4', 25, "mail.example.org"));
        s.macros(Map.of("{client_addr}", "localhost", "{client_port}", "99999"));
        MailEvent e = MilterEventMapper.toEvent(s, SmtpStage.CONNECT, "", "");
        assertNull(e.client(), "a name is not an address and is not looked up");
        assertEquals(25, e.clientPort(), "an impossible port macro falls back to the packet");
        assertEquals("", MilterEventMapper.envelopeAddress("<>"));
        assertEquals("a@b", MilterEventMapper.envelopeAddress(" <a@b> "));
    }

    @Test
    void verdictsMapToRepliesInOnePlace() {
        assertEquals('c', MilterReplyMapper.reply(Verdict.PASS, SmtpStage.RCPT, "as-decided").command());
        assertEquals('c', MilterReplyMapper.reply(Verdict.warn("would defer"), SmtpStage.RCPT, "as-decided").command());
        assertEquals('c', MilterReplyMapper.reply(new Verdict.Accept("trust"), SmtpStage.MAIL, "as-decided")
                .command(), "explicit trust is not a milter accept (that would skip the rest of the message)");
        assertEquals("450 4.7.1 greylisted\0", text(MilterReplyMapper.reply(Verdict.deferIfPermit("greylisted"),
                SmtpStage.RCPT, "as-decided")), "a milter reply has no if-permit form: a plain 450");
        assertEquals("450 4.7.1 slow down\0", text(MilterReplyMapper.reply(Verdict.defer("slow down"), SmtpStage.RCPT,
                "reject")), "connect-refusal applies at connect only");
        assertEquals("550 5.7.1 slow down\0", text(MilterReplyMapper.reply(Verdict.defer("slow down"),
                SmtpStage.CONNECT, "reject")));
        assertEquals("450 4.7.1 banned\0", text(MilterReplyMapper.reply(Verdict.reject("banned"), SmtpStage.CONNECT,
                "tempfail")));
        assertEquals("450 4.7.1 network\0", text(MilterReplyMapper.reply(Verdict.deferOnly("network"),
                SmtpStage.CONNECT, "reject")), "a network-level refusal without a ban is never a 5xx");
        assertEquals('c', MilterReplyMapper.fallback("continue").command());
        assertEquals('a', MilterReplyMapper.fallback("accept").command());
        assertEquals('t', MilterReplyMapper.fallback("tempfail").command());
    }

    @Test
    void theEndOfTheMessageCarriesHeadersAndQuarantineThenContinue() {
        Negotiation all = Negotiation.agree(6, 0x1FF, 0x1FFFFF, true);
        MilterSession s = new MilterSession(0);
        s.startMessage("a@example.org");
        s.defer(Verdict.tag("X-Postwarden-Score", "score 3.0"));
        s.defer(Verdict.tag("X-Postwarden-Score", "score 4.0"));
        List<MilterPacket> out = MilterReplyMapper.endOfMessage(Verdict.hold("fan-out"), s, all, "X-Report", "r=1");
        assertEquals(List.of('h', 'h', 'q', 'c'), out.stream().map(p -> (char) p.command()).toList());
        assertEquals("X-Report\0r=1\0", text(out.get(0)));
        assertEquals("X-Postwarden-Score\0score 4.0\0", text(out.get(1)), "the latest tag");
        assertEquals("fan-out\0", text(out.get(2)));
        List<MilterPacket> refused = MilterReplyMapper.endOfMessage(Verdict.reject("no"), s, all, "X-Report", "r");
        assertEquals(List.of('y'), refused.stream().map(p -> (char) p.command()).toList(), "no edits on a refusal");
        Negotiation bare = Negotiation.agree(6, 0, 0x1FFFFF, true);
        assertEquals(List.of('c'), MilterReplyMapper.endOfMessage(Verdict.hold("x"), s, bare, "X-Report", "r=1")
                .stream().map(p -> (char) p.command()).toList(), "nothing the MTA did not allow");
    }

    @Test
    void scoresPrintWithOneDecimalLikeTheTagHeader() {
        assertEquals("0.0", ReportHeader.oneDecimal(0));
        assertEquals("6.5", ReportHeader.oneDecimal(6.5));
        assertEquals("2.1", ReportHeader.oneDecimal(2.06));
        assertEquals("-1.3", ReportHeader.oneDecimal(-1.25));
        assertEquals("0.0", ReportHeader.oneDecimal(-0.01));
        assertEquals("12345.7", ReportHeader.oneDecimal(12345.66));
        assertEquals("0.0", ReportHeader.oneDecimal(Double.NaN));
    }
}
