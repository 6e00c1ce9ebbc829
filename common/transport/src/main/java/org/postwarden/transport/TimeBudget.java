package org.postwarden.transport;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import org.postwarden.config.Durations;
import org.postwarden.metrics.PostwardenMetrics;
import org.postwarden.model.SmtpStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * A decision within a time budget, answered on a connection's event loop: a decision that completes within the
 * budget is {@linkplain Outcome#decided delivered}; one that does not, or that fails, gets the listener's configured
 * fallback instead ({@link Outcome#fallback}), counted in {@code postwarden_fallbacks_total{listener,reason}} with
 * reason {@code timeout} or {@code error} and logged. No answer is invented here: the caller answers its configured
 * fallback action (the config refuses OK for the policy server and a reject for either listener).
 *
 * <p>The budget is an event-loop timer, and a decision that completes on another thread hops back onto the event
 * loop, so every {@link Outcome} method runs on the loop and none of them races another; nothing here blocks. A
 * decision that is already complete when it is handed over (the common case) is answered at once, without a timer.
 * Each decision ends exactly once: {@code decided} or {@code fallback}; a result that arrives after its fallback is
 * dropped with a debug line. Thread-safe; one instance per listener.
 */
public final class TimeBudget {
    private static final Logger LOG = LoggerFactory.getLogger(TimeBudget.class);
    private final String listener;
    private final PostwardenMetrics metrics;

    /** @param listener bounded listener name for the metric label and the log lines, e.g. {@code milter} */
    public TimeBudget(String listener, PostwardenMetrics metrics) {
        this.listener = listener;
        this.metrics = metrics;
    }

    /** What the caller does with a decision's end. Every method runs on the event loop and must not block. */
    public interface Outcome<T> {
        /**
         * Whether the decision's answer is still awaited. While it is not, neither the budget nor a failure
         * answers the fallback (nothing is counted or logged), and a result is delivered whenever it comes.
         */
        default boolean awaited() {
            return true;
        }

        /** The decision, in time (or, when not {@link #awaited() awaited}, whenever it came). */
        void decided(T value);

        /** Answer the configured fallback: the budget ran out or the decision failed (already counted, logged). */
        void fallback();

        /** The decision has completed (on time, late or failed); called once, before anything else it causes. */
        default void completed() {
        }
    }

    /**
     * Runs {@code decision} within {@code budget}.
     *
     * @param loop     the connection's event loop (every {@code outcome} call runs there); the caller is on it
     * @param stage    for the log lines
     * @param fallback the fallback action's text, for the log lines
     * @param decision starts the decision; a runtime exception it throws counts as a failed decision
     */
    public <T> void run(EventExecutor loop, Duration budget, SmtpStage stage, String fallback,
            Supplier<? extends CompletionStage<T>> decision, Outcome<T> outcome) {
        CompletableFuture<T> f;
        try {
            f = decision.get().toCompletableFuture();
        } catch (RuntimeException e) {
            f = CompletableFuture.failedFuture(e);
        }
        if (f.isDone()) {
            end(f, stage, fallback, outcome);
            return;
        }
        Race race = new Race();
        ScheduledFuture<?> timer = loop.schedule(() -> {
            if (outcome.awaited()) {
                race.timedOut = true;
                metrics.fallback(listener, "timeout");
                LOG.warn("{} decision at {} exceeded time budget {}; answering fallback {}", listener, stage.label(),
                        Durations.format(budget), fallback);
                outcome.fallback();
            }
        }, budget.toNanos(), TimeUnit.NANOSECONDS);
        CompletableFuture<T> pending = f;
        f.whenComplete((v, t) -> loop.execute(() -> {
            timer.cancel(false);
            if (race.timedOut) {
                outcome.completed();
                LOG.debug("{} decision at {} arrived after the fallback answer; discarded", listener, stage.label());
            } else {
                end(pending, stage, fallback, outcome);
            }
        }));
    }

    private <T> void end(CompletableFuture<T> f, SmtpStage stage, String fallback, Outcome<T> outcome) {
        outcome.completed();
        T value;
        try {
            value = f.join();
        } catch (CompletionException | CancellationException e) {
            if (outcome.awaited()) {
                metrics.fallback(listener, "error");
                LOG.error("{} decision at {} failed; answering fallback {}", listener, stage.label(), fallback,
                        e.getCause() != null ? e.getCause() : e);
                outcome.fallback();
            }
            return;
        }
        outcome.decided(value);
    }

    /** Whether the budget ran out first; touched on the event loop only. */
    private static final class Race {
        boolean timedOut;
    }
}
