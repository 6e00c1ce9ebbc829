package org.postwarden.engine;

import org.postwarden.model.MailEvent;
import org.postwarden.reputation.ReputationStore;
import org.postwarden.rules.Rules;

import java.util.concurrent.CompletionStage;

/**
 * One concern of the engine. Implementations are stateless and thread-safe; they report through the context.
 *
 * <p>A check that needs I/O (DNS) starts it in {@link #prepare} and gets the result back in {@link #evaluate}
 * through {@link EvaluationContext#prepared(Check)}; the engine waits for all prepared stages without blocking.
 */
public interface Check {

    /** Bounded name used in config ({@code checks.NAME}), logs and metrics. */
    String name();

    /**
     * Starts asynchronous work for {@code event}, or returns null when there is none (the default). Must not
     * block. The stage's value is handed to {@link #evaluate} via {@link EvaluationContext#prepared(Check)}.
     */
    default CompletionStage<?> prepare(MailEvent event, Rules rules) {
        return null;
    }

    /**
     * Like {@link #prepare(MailEvent, Rules)}, for a check whose I/O depends on what the store holds (it may read
     * the store, never write it). The engine calls this one; by default it calls the other.
     */
    default CompletionStage<?> prepare(MailEvent event, Rules rules, ReputationStore store) {
        return prepare(event, rules);
    }

    /** Evaluates the event in {@code ctx}; adds findings and signals to it. Must not block. */
    void evaluate(EvaluationContext ctx);
}
