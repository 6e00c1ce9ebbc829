package org.postwarden.policy.handler;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;
import org.postwarden.engine.Check;
import org.postwarden.engine.EvaluationContext;
import org.postwarden.model.MailEvent;
import org.postwarden.policy.PolicyTestSupport;
import org.postwarden.policy.codec.PolicyLimits;
import org.postwarden.policy.codec.PolicyReplyEncoder;
import org.postwarden.policy.codec.PolicyRequestDecoder;
import org.postwarden.rules.Rules;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.postwarden.policy.PolicyTestSupport.request;

class PolicyHandlerTest {
    static final String CONFIG = """
            networks: {local-domains: [example.test], trusted: []}
            limits:
              host: {connections: [], messages: [], recipients: [{window: 1m, max: 2}]}
            policy: {time-budget: 100ms}
            """;

    static EmbeddedChannel channel(PolicyTestSupport s, AtomicInteger inFlight) {
        return new EmbeddedChannel(new PolicyRequestDecoder(new PolicyLimits(4096, 64, 65536)),
                new PolicyReplyEncoder(), new PolicyHandler(s.context, inFlight));
    }

    static String readAll(EmbeddedChannel ch) {
        StringBuilder sb = new StringBuilder();
        ByteBuf b;
        while ((b = ch.readOutbound()) != null) {
            sb.append(b.toString(StandardCharsets.UTF_8));
            b.release();
        }
        return sb.toString();
    }

    @Test
    void answersPipelinedRequestsInOrder() throws Exception {
        PolicyTestSupport s = new PolicyTestSupport(CONFIG);
        AtomicInteger inFlight = new AtomicInteger();
        EmbeddedChannel ch = channel(s, inFlight);
        String three = request("RCPT", "192.0.2.1", 1, "a@example.test") + request("RCPT", "192.0.2.1", 1,
                "b@example.test") + request("RCPT", "192.0.2.1", 1, "c@example.test");
        ch.writeInbound(Unpooled.copiedBuffer(three, StandardCharsets.UTF_8));
        String out = readAll(ch);
        assertTrue(out.startsWith("action=DUNNO\n\naction=DUNNO\n\naction=450 4.7.1 rate limit: more than 2 recipients"
                + " per 1m per host (192.0.2.1/32)\n\n"), out);
        assertEquals(0, inFlight.get());
        assertTrue(ch.isOpen());
        assertFalse(ch.finish());
    }

    @Test
    void internalFailureAnswersTheFallbackNeverOk() throws Exception {
        Check broken = new Check() {
            @Override
            public String name() {
                return "broken";
            }

            @Override
            public void evaluate(EvaluationContext ctx) {
                throw new IllegalStateException("boom");
            }
        };
        PolicyTestSupport s = new PolicyTestSupport(CONFIG, List.of(broken));
        EmbeddedChannel ch = channel(s, new AtomicInteger());
        ch.writeInbound(Unpooled.copiedBuffer(request("RCPT", "192.0.2.1", 1, "a@example.test"),
                StandardCharsets.UTF_8));
        assertEquals("action=DUNNO\n\n", readAll(ch));
        assertEquals(1.0, s.registry.get("postwarden.fallbacks").tag("reason", "error").counter().count());
        assertTrue(ch.isOpen(), "the connection stays usable");
        assertFalse(ch.finish());
    }

    @Test
    void blownTimeBudgetAnswersTheConfiguredFallback() throws Exception {
        CompletableFuture<Object> never = new CompletableFuture<>();
        Check slow = new Check() {
            @Override
            public String name() {
                return "slow";
            }

            @Override
            public CompletionStage<?> prepare(MailEvent event, Rules rules) {
                return never;
            }

            @Override
            public void evaluate(EvaluationContext ctx) {
            }
        };
        PolicyTestSupport s = new PolicyTestSupport(CONFIG.replace("policy: {time-budget: 100ms}",
                "policy: {time-budget: 50ms, fallback-action: \"DEFER temporary problem\"}"), List.of(slow));
        EmbeddedChannel ch = channel(s, new AtomicInteger());
        ch.writeInbound(Unpooled.copiedBuffer(request("RCPT", "192.0.2.1", 1, "a@example.test"),
                StandardCharsets.UTF_8));
        String out = "";
        for (int i = 0; i < 1000 && out.isEmpty(); i++) { // bounded wait for the budget timer (a JDK thread)
            Thread.sleep(10);
            ch.runPendingTasks();
            out = readAll(ch);
        }
        assertEquals("action=DEFER temporary problem\n\n", out);
        assertNotNull(s.registry.find("postwarden.fallbacks").tag("reason", "timeout").counter());
        ch.finish();
    }

    @Test
    void protocolErrorClosesOnlyThisConnectionWithAMetric() throws Exception {
        PolicyTestSupport s = new PolicyTestSupport(CONFIG);
        EmbeddedChannel bad = channel(s, new AtomicInteger());
        EmbeddedChannel good = channel(s, new AtomicInteger());
        bad.writeInbound(Unpooled.copiedBuffer("this is not a policy request\n", StandardCharsets.UTF_8));
        assertFalse(bad.isOpen());
        assertEquals(1.0, s.registry.get("postwarden.protocol.errors").tag("reason", "malformed-line").counter()
                .count());
        good.writeInbound(Unpooled.copiedBuffer(request("RCPT", "192.0.2.9", 1, "a@example.test"),
                StandardCharsets.UTF_8));
        assertEquals("action=DUNNO\n\n", readAll(good));
        assertFalse(good.finish());
    }
}
