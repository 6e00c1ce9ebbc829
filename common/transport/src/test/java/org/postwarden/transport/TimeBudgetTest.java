package org.postwarden.transport;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.postwarden.metrics.PostwardenMetrics;
import org.postwarden.model.SmtpStage;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TimeBudgetTest {
    static final Duration BUDGET = Duration.ofMillis(200);
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    final TimeBudget budget = new TimeBudget("milter", new PostwardenMetrics(registry));
    EmbeddedChannel channel;

    @BeforeEach
    void channel() {
        channel = new EmbeddedChannel();
        channel.freezeTime();
    }

    /** Records what happened to one decision, in order. */
    static final class Recorder implements TimeBudget.Outcome<String> {
        final List<String> events = new ArrayList<>();
        boolean awaited = true;

        @Override
        public boolean awaited() {
            return awaited;
        }

        @Override
        public void decided(String value) {
            events.add("decided " + value);
        }

        @Override
        public void fallback() {
            events.add("fallback");
        }

        @Override
        public void completed() {
            events.add("completed");
        }
    }

    double fallbacks(String reason) {
        var c = registry.find("postwarden.fallbacks").tags("listener", "milter", "reason", reason).counter();
        return c == null ? 0 : c.count();
    }

    Recorder run(CompletionStage<String> decision) {
        return run(decision, true);
    }

    Recorder run(CompletionStage<String> decision, boolean awaited) {
        Recorder r = new Recorder();
        r.awaited = awaited;
        budget.run(channel.eventLoop(), BUDGET, SmtpStage.RCPT, "continue", () -> decision, r);
        return r;
    }

    void advance(long millis) {
        channel.advanceTimeBy(millis, TimeUnit.MILLISECONDS);
        channel.runPendingTasks();
    }

    @Test
    void aDecisionThatIsAlreadyCompleteIsAnsweredAtOnceWithoutATimer() {
        Recorder r = run(CompletableFuture.completedFuture("pass"));
        assertEquals(List.of("completed", "decided pass"), r.events);
        advance(1000);
        assertEquals(List.of("completed", "decided pass"), r.events, "no timer left behind");
        assertEquals(0, fallbacks("timeout"));
    }

    @Test
    void aDecisionWithinTheBudgetIsAnsweredOnTheLoopAndTheTimerIsCancelled() {
        CompletableFuture<String> f = new CompletableFuture<>();
        Recorder r = run(f);
        advance(199);
        assertTrue(r.events.isEmpty(), "still waiting");
        f.complete("reject");
        assertTrue(r.events.isEmpty(), "not on the completing thread: it hops onto the loop");
        channel.runPendingTasks();
        assertEquals(List.of("completed", "decided reject"), r.events);
        advance(1000);
        assertEquals(List.of("completed", "decided reject"), r.events, "the cancelled timer does not answer again");
        assertEquals(0, fallbacks("timeout"));
    }

    @Test
    void aBlownBudgetAnswersTheFallbackOnceAndDropsTheLateResult() {
        try (LogCapture log = new LogCapture(TimeBudget.class)) {
            CompletableFuture<String> f = new CompletableFuture<>();
            Recorder r = run(f);
            advance(200);
            assertEquals(List.of("fallback"), r.events);
            assertEquals(1.0, fallbacks("timeout"));
            f.complete("reject");
            channel.runPendingTasks();
            assertEquals(List.of("fallback", "completed"), r.events, "the late result is not delivered");
            assertEquals(List.of("WARN milter decision at rcpt exceeded time budget 200ms; answering fallback continue",
                    "DEBUG milter decision at rcpt arrived after the fallback answer; discarded"), log.lines());
        }
    }

    @Test
    void aFailedDecisionAnswersTheFallback() {
        try (LogCapture log = new LogCapture(TimeBudget.class)) {
            Recorder r = run(CompletableFuture.failedFuture(new IllegalStateException("bug")));
            assertEquals(List.of("completed", "fallback"), r.events);
            assertEquals(1.0, fallbacks("error"));
            assertEquals(List.of("ERROR milter decision at rcpt failed; answering fallback continue"), log.lines());
            assertTrue(log.lastHasThrowable(), "with the cause");
        }
        CompletableFuture<String> later = new CompletableFuture<>();
        Recorder r = run(later);
        later.completeExceptionally(new IllegalStateException("later"));
        channel.runPendingTasks();
        assertEquals(List.of("completed", "fallback"), r.events);
        assertEquals(2.0, fallbacks("error"));
    }

    @Test
    void aDecisionThatThrowsInsteadOfFailingIsAFailureToo() {
        Recorder r = new Recorder();
        budget.run(channel.eventLoop(), BUDGET, SmtpStage.CONNECT, "continue", () -> {
            throw new IllegalStateException("mapping bug");
        }, r);
        assertEquals(List.of("completed", "fallback"), r.events);
        assertEquals(1.0, fallbacks("error"));
    }

    @Test
    void aDecisionNobodyAwaitsIsDeliveredWheneverItComesAndNeverFallsBack() {
        CompletableFuture<String> slow = new CompletableFuture<>();
        Recorder r = run(slow, false);
        advance(5000);
        assertTrue(r.events.isEmpty(), "no fallback for a decision whose answer nobody waits for");
        slow.complete("tag");
        channel.runPendingTasks();
        assertEquals(List.of("completed", "decided tag"), r.events);
        Recorder failed = run(CompletableFuture.failedFuture(new IllegalStateException("x")), false);
        assertEquals(List.of("completed"), failed.events, "a failure nobody waits for is not answered");
        assertEquals(0, fallbacks("timeout") + fallbacks("error"));
    }
}
