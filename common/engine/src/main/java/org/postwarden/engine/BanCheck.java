package org.postwarden.engine;

import org.postwarden.model.ClientKey;
import org.postwarden.reputation.Ban;
import org.postwarden.verdict.Action;

import java.time.Instant;
import java.util.Optional;

/** Refuses clients with an active ban on any of their key levels, or in {@code bans.permanent}. */
public final class BanCheck implements Check {
    @Override
    public String name() {
        return "ban";
    }

    @Override
    public void evaluate(EvaluationContext ctx) {
        org.postwarden.model.Cidr permanent = ctx.rules().bans().permanentNetwork(ctx.event().client());
        if (permanent != null) {
            ctx.find("ban", Action.REJECT, 0, 0, "client network " + permanent
                    + " is banned permanently (bans.permanent)");
            return;
        }
        for (ClientKey k : ctx.keys()) {
            Optional<Ban> ban = ctx.store().activeBan(k);
            if (ban.isPresent()) {
                Ban b = ban.get();
                String until = b.permanent() ? "permanently" : "until " + Instant.ofEpochMilli(b.untilMillis());
                ctx.find("ban", Action.REJECT, b.offense(), 0,
                        "client network " + k.cidr() + " is banned " + until + " (" + b.reason() + ")");
                return;
            }
        }
    }
}
