package org.postwarden.engine;

/** One concern of the engine. Implementations are stateless and thread-safe; they report through the context. */
public interface Check {

    /** Bounded name used in config ({@code checks.NAME}), logs and metrics. */
    String name();

    /** Evaluates the event in {@code ctx}; adds findings and signals to it. Must not block. */
    void evaluate(EvaluationContext ctx);
}
