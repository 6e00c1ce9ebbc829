package org.postwarden.engine;

import org.postwarden.model.SmtpStage;
import org.postwarden.verdict.Action;

/**
 * Refuses a new connection (at CONNECT) from a client that already holds more open SMTP sessions than
 * {@code milter.max-concurrent-per-client}: a 4.7.1 defer, never a reject. The count is the store's live gauge of
 * open sessions, which only a listener that sees both connect and close keeps (the milter, which registers a session
 * before asking); the event's own session is included, so the limit is "at most N at a time". Not applied on a
 * submission service (only a ban of the host refuses a client there before AUTH).
 */
public final class ConcurrencyCheck implements Check {
    @Override
    public String name() {
        return "concurrency";
    }

    @Override
    public void evaluate(EvaluationContext ctx) {
        if (ctx.event().stage() != SmtpStage.CONNECT || ctx.host() == null || ctx.submissionBeforeAuth()) {
            return;
        }
        int max = ctx.rules().maxConcurrentPerClient();
        if (max <= 0) {
            return;
        }
        int open = ctx.store().openConnections(ctx.host());
        if (open > max) {
            ctx.find("concurrent", Action.DEFER, open, max, "too many concurrent connections: " + open
                    + " open, at most " + max + " per host (" + ctx.host().cidr() + ")");
        }
    }
}
