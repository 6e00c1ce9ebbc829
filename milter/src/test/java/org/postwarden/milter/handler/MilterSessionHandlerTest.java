package org.postwarden.milter.handler;

import org.junit.jupiter.api.Test;
import org.postwarden.engine.BanCheck;
import org.postwarden.engine.Check;
import org.postwarden.engine.EvaluationContext;
import org.postwarden.milter.MilterTestSupport.Mta;
import org.postwarden.milter.MilterTestSupport.Reply;
import org.postwarden.milter.MilterTestSupport;
import org.postwarden.model.Cidr;
import org.postwarden.model.ClientKey;
import org.postwarden.model.KeyLevel;
import org.postwarden.model.MailEvent;
import org.postwarden.model.SmtpStage;
import org.postwarden.rules.Rules;
import org.postwarden.verdict.Action;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MilterSessionHandlerTest {
    static final String BASE = """
            networks: {local-domains: [example.test]}
            milter: {max-concurrent-per-client: 2}
            """;

    static void assertContinue(Reply r) {
        assertEquals('c', r.command(), r.toString());
    }

    static Mta connected(MilterTestSupport s, String ip, int port) {
        Mta m = s.mta();
        m.optneg();
        assertContinue(m.connect(ip, port));
        return m;
    }

    @Test
    void negotiatesOnlyWhatItNeedsAndAsksForItsMacros() throws Exception {
        MilterTestSupport s = new MilterTestSupport(BASE);
        Reply r = s.mta().optneg();
        assertEquals('O', r.command());
        ByteBuffer b = ByteBuffer.wrap(r.payload());
        assertEquals(6, b.getInt(), "version");
        assertEquals(0x01 | 0x20 | 0x100, b.getInt(), "add header, quarantine, set macro list");
        int steps = b.getInt();
        assertEquals(0x40 | 0x100 | 0x80 | 0x800 | 0x400, steps,
                "no EOH/unknown, no header replies, rejected RCPTs, SKIP; connect to body wanted, DATA included");
        String macros = new String(r.payload(), 12, r.payload().length - 12, StandardCharsets.US_ASCII);
        assertTrue(macros.contains("{client_addr} {client_port} {client_name} {daemon_name}"), macros);
        assertTrue(macros.contains("i {auth_authen}"), macros);
    }

    @Test
    void withoutFingerprintsNoHeadersOrBodyAreRequested() throws Exception {
        MilterTestSupport on = new MilterTestSupport(BASE);
        MilterTestSupport off = new MilterTestSupport("milter: {fingerprint: {enabled: false}}\n");
        assertEquals(0x30, ByteBuffer.wrap(off.mta().optneg().payload()).getInt(8) & 0x30, "no headers, no body");
        assertEquals(0, ByteBuffer.wrap(on.mta().optneg().payload()).getInt(8) & 0x30);
    }

    @Test
    void onlyWhatTheMtaOffersIsAgreed() throws Exception {
        MilterTestSupport s = new MilterTestSupport(BASE);
        Reply r = s.mta().optneg(2, 0x01, 0x7F);
        ByteBuffer b = ByteBuffer.wrap(r.payload());
        assertEquals(2, b.getInt());
        assertEquals(0x01, b.getInt(), "no quarantine or macro list offered: not asked for");
        assertEquals(0x40, b.getInt(), "only no-EOH was both offered and wanted");
        assertEquals(12, r.payload().length, "no macro list for an MTA that cannot take one");
    }

    @Test
    void aCleanSessionIsContinuedThroughoutAndClosesOnQuit() throws Exception {
        MilterTestSupport s = new MilterTestSupport(BASE);
        Mta m = connected(s, "198.51.100.10", 40000);
        assertContinue(m.helo("mail.sender.example"));
        assertContinue(m.mail("a@sender.example", ""));
        assertContinue(m.rcpt("u@example.test", ""));
        assertContinue(m.data("4ABC"));
        m.header("Subject", "hello");
        assertTrue(m.replies().isEmpty(), "headers are not answered (no-reply negotiated)");
        assertEquals('s', m.body("body\r\n").command(), "unauthenticated: no fingerprint, skip the body");
        List<Reply> eom = m.eom("4ABC");
        assertEquals(1, eom.size(), eom.toString());
        assertContinue(eom.get(0));
        m.send('Q', new byte[0]);
        assertFalse(m.channel.isOpen());
        assertEquals(1.0, s.counter("postwarden.milter.sessions"));
        assertEquals(1.0, s.counter("postwarden.milter.commands", "command", "rcpt"));
        assertEquals(1.0, s.counter("postwarden.decisions", "source", "milter", "stage", "rcpt", "action", "pass"));
        assertEquals(1.0, s.counter("postwarden.milter.replies", "stage", "end-of-message", "reply", "continue"));
        assertEquals(1, s.registry.find("postwarden.milter.command").tag("stage", "connect").timer().count());
    }

    @Test
    void aBannedClientIsRefusedAtConnectAsDecidedOrAsConfigured() throws Exception {
        for (String mode : List.of("as-decided", "tempfail", "reject")) {
            MilterTestSupport s = new MilterTestSupport(BASE.replace("{max-concurrent-per-client: 2}",
                    "{max-concurrent-per-client: 2, connect-refusal: " + mode + "}"));
            s.engine.store().ban(ClientKey.of(Cidr.parseAddress("203.0.113.0"), KeyLevel.SUBNET, 48),
                    Duration.ofHours(1), "admin", "test");
            Mta m = s.mta();
            m.optneg();
            Reply r = m.connect("203.0.113.9", 1234);
            assertEquals('y', r.command(), mode);
            String expected = mode.equals("tempfail") ? "450 4.7.1 " : "550 5.7.1 ";
            assertTrue(r.text().startsWith(expected + "client network 203.0.113.0/24 is banned"), mode + ": " + r);
            m.send('H', MilterTestSupport.Mta.z("x"));
            assertFalse(m.channel.isOpen(), "nothing but quit may follow a refused connect");
        }
    }

    @Test
    void ipv6ClientsComeFromTheConnectMacros() throws Exception {
        MilterTestSupport s = new MilterTestSupport(BASE);
        s.engine.store().ban(ClientKey.of(Cidr.parseAddress("2001:db8:1:2::"), KeyLevel.SUBNET, 48),
                Duration.ofHours(1), "admin", "test");
        Mta m = s.mta();
        m.optneg();
        Reply r = m.connect("2001:db8:1:2::25", 2525);
        assertEquals('y', r.command(), r.toString());
        assertTrue(r.text().contains("2001:db8:1:2::/64"), r.toString());
    }

    @Test
    void theNextConcurrentSessionOfOneClientIsRefusedWhileOthersAreServed() throws Exception {
        MilterTestSupport s = new MilterTestSupport(BASE);
        Mta first = connected(s, "198.51.100.20", 1);
        Mta second = connected(s, "198.51.100.20", 2);
        Mta third = s.mta();
        third.optneg();
        Reply refused = third.connect("198.51.100.20", 3);
        assertEquals('y', refused.command());
        assertTrue(refused.text().startsWith("450 4.7.1 too many concurrent connections: 3 open, at most 2 per host"),
                refused.toString());
        connected(s, "198.51.100.21", 4);
        third.send('Q', new byte[0]);
        first.channel.close();
        assertContinue(connected(s, "198.51.100.20", 5).helo("mail.sender.example"));
        assertTrue(second.channel.isOpen());
        assertEquals(2, s.engine.store().openConnections(ClientKey.of(
                Cidr.parseAddress("198.51.100.20"), KeyLevel.HOST, 48)), "second and fifth");
    }

    @Test
    void oversizedLengthPrefixClosesTheConnectionWithAMetric() throws Exception {
        MilterTestSupport s = new MilterTestSupport(BASE);
        Mta m = s.mta();
        m.optneg();
        m.sendRaw(new byte[] {0x7F, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 'B'});
        assertFalse(m.channel.isOpen());
        assertEquals(1.0, s.counter("postwarden.protocol.errors", "listener", "milter", "reason", "packet-too-large"));
        assertTrue(m.replies().isEmpty());
    }

    @Test
    void unknownCommandsCloseTheConnection() throws Exception {
        MilterTestSupport s = new MilterTestSupport(BASE);
        Mta m = s.mta();
        m.optneg();
        m.send('Z', new byte[] {1, 2, 3});
        assertFalse(m.channel.isOpen());
        assertEquals(1.0, s.counter("postwarden.protocol.errors", "listener", "milter", "reason", "unknown-command"));
        Mta binary = s.mta();
        binary.send((char) 0xFF, new byte[0]);
        assertFalse(binary.channel.isOpen());
    }

    @Test
    void outOfOrderCommandsCloseTheConnection() throws Exception {
        MilterTestSupport s = new MilterTestSupport(BASE);
        record Case(String name, java.util.function.Consumer<Mta> steps) {
        }
        List<Case> cases = List.of(
                new Case("helo before optneg", m -> m.send('H', Mta.z("x"))),
                new Case("connect before optneg", m -> m.send('C', Mta.z("x"))),
                new Case("second optneg", m -> {
                    m.optneg();
                    m.send('O', new byte[12]);
                }),
                new Case("mail before connect", m -> {
                    m.optneg();
                    m.send('M', Mta.z("<a@b>"));
                }),
                new Case("second connect", m -> {
                    m.optneg();
                    m.connect("198.51.100.30", 1);
                    m.send('C', Mta.z("[198.51.100.30]"));
                }),
                new Case("rcpt before mail", m -> {
                    m.optneg();
                    m.connect("198.51.100.31", 1);
                    m.send('R', Mta.z("<u@example.test>"));
                }),
                new Case("end of message after abort", m -> {
                    m.optneg();
                    m.connect("198.51.100.32", 1);
                    m.mail("a@b.example", "");
                    m.send('A', new byte[0]);
                    m.send('E', new byte[0]);
                }));
        for (Case c : cases) {
            Mta m = s.mta();
            c.steps().accept(m);
            assertFalse(m.channel.isOpen(), c.name());
        }
        assertEquals(cases.size(), s.counter("postwarden.protocol.errors", "listener", "milter", "reason",
                "out-of-order"));
    }

    @Test
    void malformedPayloadsCloseTheConnection() throws Exception {
        MilterTestSupport s = new MilterTestSupport(BASE);
        Mta m = s.mta();
        m.optneg();
        m.send('D', "Cunpaired\0".getBytes(StandardCharsets.US_ASCII));
        assertFalse(m.channel.isOpen());
        Mta short0 = s.mta();
        short0.send('O', new byte[3]);
        assertFalse(short0.channel.isOpen());
        assertEquals(2.0, s.counter("postwarden.protocol.errors", "listener", "milter", "reason", "malformed-packet"));
    }

    /** A check whose decision waits for {@link #result}: the engine answers asynchronously. */
    static final class Slow implements Check {
        final CompletableFuture<String> result = new CompletableFuture<>();

        @Override
        public String name() {
            return "slow";
        }

        @Override
        public CompletionStage<?> prepare(MailEvent event, Rules rules) {
            return event.stage() == SmtpStage.RCPT ? result : null;
        }

        @Override
        public void evaluate(EvaluationContext ctx) {
            if (ctx.prepared(this) != null) {
                ctx.find("slow", Action.REJECT, 1, 0, "slow says no");
            }
        }
    }

    @Test
    void aBlownTimeBudgetAnswersTheFallbackAndDiscardsTheLateDecision() throws Exception {
        Slow slow = new Slow();
        MilterTestSupport s = new MilterTestSupport(BASE, List.of(new BanCheck(), slow));
        Mta m = connected(s, "198.51.100.40", 1);
        m.mail("a@b.example", "");
        m.macros('R', java.util.Map.of("i", "")).send('R', Mta.z("<u@example.test>"));
        assertTrue(m.replies().isEmpty(), "waiting for the decision");
        m.channel.advanceTimeBy(250, TimeUnit.MILLISECONDS);
        m.channel.runScheduledPendingTasks();
        assertContinue(m.reply());
        assertEquals(1.0, s.counter("postwarden.fallbacks", "listener", "milter", "reason", "timeout"));
        slow.result.complete("late");
        m.channel.runPendingTasks();
        assertTrue(m.replies().isEmpty(), "the late reject is discarded");
        assertEquals(0, s.pipeline.inFlight());
    }

    @Test
    void theFallbackIsConfigurable() throws Exception {
        Slow slow = new Slow();
        MilterTestSupport s = new MilterTestSupport("milter: {fallback-action: tempfail}\n", List.of(slow));
        Mta m = connected(s, "198.51.100.41", 1);
        m.mail("a@b.example", "");
        m.macros('R', java.util.Map.of("i", "")).send('R', Mta.z("<u@example.test>"));
        m.channel.advanceTimeBy(1, TimeUnit.SECONDS);
        m.channel.runScheduledPendingTasks();
        assertEquals('t', m.reply().command());
    }

    @Test
    void aDecisionThatCompletesInTimeIsAnsweredAsync() throws Exception {
        Slow slow = new Slow();
        MilterTestSupport s = new MilterTestSupport(BASE, List.of(slow));
        Mta m = connected(s, "198.51.100.42", 1);
        m.mail("a@b.example", "");
        m.macros('R', java.util.Map.of("i", "")).send('R', Mta.z("<u@example.test>"));
        slow.result.complete("now");
        m.channel.runPendingTasks();
        Reply r = m.reply();
        assertEquals("550 5.7.1 slow says no\0", r.text());
        m.channel.advanceTimeBy(1, TimeUnit.SECONDS);
        m.channel.runScheduledPendingTasks();
        assertTrue(m.replies().isEmpty(), "the cancelled budget timer does not answer again");
    }

    @Test
    void pipelinedCommandsCloseTheConnection() throws Exception {
        Slow slow = new Slow();
        MilterTestSupport s = new MilterTestSupport(BASE, List.of(slow));
        Mta m = connected(s, "198.51.100.43", 1);
        m.mail("a@b.example", "");
        m.send('R', Mta.z("<u@example.test>"));
        m.send('R', Mta.z("<v@example.test>"));
        assertFalse(m.channel.isOpen());
        assertEquals(1.0, s.counter("postwarden.protocol.errors", "listener", "milter", "reason", "pipelined"));
    }

    @Test
    void anEngineFailureAnswersTheFallback() throws Exception {
        Check broken = new Check() {
            @Override
            public String name() {
                return "broken";
            }

            @Override
            public void evaluate(EvaluationContext ctx) {
                throw new IllegalStateException("bug");
            }
        };
        MilterTestSupport s = new MilterTestSupport(BASE, List.of(broken));
        Mta m = s.mta();
        m.optneg();
        assertContinue(m.connect("198.51.100.44", 1));
        assertEquals(1.0, s.counter("postwarden.fallbacks", "listener", "milter", "reason", "error"));
        assertTrue(m.channel.isOpen());
    }
}
