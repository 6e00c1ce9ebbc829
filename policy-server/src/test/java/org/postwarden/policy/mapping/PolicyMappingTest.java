package org.postwarden.policy.mapping;

import org.junit.jupiter.api.Test;
import org.postwarden.model.MailEvent;
import org.postwarden.model.SmtpStage;
import org.postwarden.policy.codec.PolicyRequest;
import org.postwarden.verdict.Verdict;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class PolicyMappingTest {

    @Test
    void requestToEvent() {
        MailEvent e = PolicyEventMapper.toEvent(new PolicyRequest(Map.of("protocol_state", "END-OF-MESSAGE",
                "client_address", "2001:db8::5", "client_port", "4711", "sasl_username", "alice",
                "recipient_count", "12", "instance", "abc.123", "size", "99999999999999999999")));
        assertEquals(SmtpStage.END_OF_MESSAGE, e.stage());
        assertEquals("2001:db8:0:0:0:0:0:5", e.client().getHostAddress());
        assertEquals(4711, e.clientPort());
        assertEquals(12, e.recipientCount());
        assertEquals("alice", e.saslUsername());
        assertEquals(0, e.sizeBytes(), "an absurd number falls back to the default");
        assertEquals("policy", e.source());
    }

    @Test
    void theServerPortTellsASubmissionService() {
        assertEquals(587, PolicyEventMapper.toEvent(new PolicyRequest(Map.of("protocol_state", "CONNECT",
                "server_port", "587"))).serverPort());
        assertEquals(-1, PolicyEventMapper.toEvent(new PolicyRequest(Map.of())).serverPort(), "before Postfix 3.2");
        assertEquals(-1, PolicyEventMapper.toEvent(new PolicyRequest(Map.of("server_port", "70000"))).serverPort());
        assertEquals(-1, PolicyEventMapper.toEvent(new PolicyRequest(Map.of("server_port", "x"))).serverPort());
    }

    @Test
    void unknownOrHostileAddressesNeverResolve() {
        assertNull(PolicyEventMapper.toEvent(new PolicyRequest(Map.of("client_address", "unknown"))).client());
        assertNull(PolicyEventMapper.toEvent(new PolicyRequest(Map.of("client_address", "evil.example"))).client());
        assertEquals(SmtpStage.UNKNOWN, PolicyEventMapper.toEvent(new PolicyRequest(Map.of())).stage());
        assertEquals(SmtpStage.HELO, SmtpStage.fromPostfix("EHLO"));
    }

    @Test
    void verdictsToActions() {
        assertEquals("DUNNO", PolicyReplyMapper.toAction(Verdict.PASS, SmtpStage.RCPT));
        assertEquals("OK", PolicyReplyMapper.toAction(new Verdict.Accept("rule"), SmtpStage.RCPT));
        assertEquals("PREPEND X-Postwarden-Score: 4.0", PolicyReplyMapper.toAction(
                Verdict.tag("X-Postwarden-Score", "4.0"), SmtpStage.RCPT));
        assertEquals("DUNNO", PolicyReplyMapper.toAction(Verdict.tag("X-Postwarden-Score", "4.0"),
                SmtpStage.END_OF_MESSAGE), "PREPEND is not allowed at end of data");
        assertEquals("450 4.7.1 slow down", PolicyReplyMapper.toAction(Verdict.defer("slow down"), SmtpStage.RCPT));
        assertEquals("DEFER_IF_PERMIT greylisted, try again in 300 seconds", PolicyReplyMapper.toAction(
                Verdict.deferIfPermit("greylisted, try again in 300 seconds"), SmtpStage.RCPT),
                "Postfix defers only if its later restrictions would permit, with 450 4.7.1 and the text");
        assertEquals("550 5.7.1 go away", PolicyReplyMapper.toAction(Verdict.reject("go away"), SmtpStage.RCPT));
        assertEquals("HOLD check", PolicyReplyMapper.toAction(Verdict.hold("check"), SmtpStage.RCPT));
        assertEquals("WARN would defer: x", PolicyReplyMapper.toAction(Verdict.warn("would defer: x"), SmtpStage.RCPT));
    }
}
