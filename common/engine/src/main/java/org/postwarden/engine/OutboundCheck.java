package org.postwarden.engine;

import org.postwarden.model.SmtpStage;
import org.postwarden.outbound.OutboundGuard;
import org.postwarden.verdict.Action;

/**
 * The outbound guard in the decision path: counts RCPT, DATA and END-OF-MESSAGE of profiled senders (SASL users;
 * unauthenticated clients in {@code networks.trusted}) into their profiles, and proposes HOLD (or DEFER with
 * {@code outbound.action: defer}) for an anomalous message and for every message of a suspended sender. The reason
 * names what tripped ({@code recipients}, {@code domains}, {@code trusted-relay}, ... or {@code suspended}).
 * The guard works in the engine's store (profiles and suspensions are store state). Does nothing when the engine
 * has no guard.
 */
public final class OutboundCheck implements Check {
    static final String DEFER_TEXT = "outbound mail of this sender is suspended; contact the postmaster";

    @Override
    public String name() {
        return "outbound";
    }

    @Override
    public void evaluate(EvaluationContext ctx) {
        OutboundGuard guard = ctx.outbound();
        if (guard == null) {
            return;
        }
        boolean freshRecipient = ctx.event().stage() == SmtpStage.RCPT && !ctx.repeat();
        OutboundGuard.Finding f = guard.observe(ctx.event(), ctx.rules(), ctx.store(), freshRecipient,
                ctx.newMessage(), ctx.recipientsCountedAtEnd(), ctx.newContent(), ctx.dryRun());
        if (f == null) {
            return;
        }
        boolean defer = "defer".equals(ctx.rules().config().outbound().action());
        ctx.find(f.reason(), defer ? Action.DEFER : Action.HOLD, f.value(), f.threshold(),
                defer ? DEFER_TEXT : f.detail());
    }
}
