package org.postwarden.engine;

import org.postwarden.config.PostwardenConfig;
import org.postwarden.model.ClientKey;
import org.postwarden.verdict.Action;

import java.util.Locale;

/**
 * Maps the client's decayed score to tag / defer / reject. The host score is compared with the thresholds as
 * they are; subnet and wide scores with the thresholds times {@code scoring.subnet-factor}. Runs last.
 */
public final class ScoreCheck implements Check {
    @Override
    public String name() {
        return "score";
    }

    @Override
    public void evaluate(EvaluationContext ctx) {
        if (ctx.host() == null) {
            return;
        }
        PostwardenConfig.Scoring s = ctx.rules().config().scoring();
        double best = 0;
        ClientKey bestKey = null;
        double bestFactor = 1;
        for (ClientKey k : ctx.keys()) {
            double factor = k.equals(ctx.host()) ? 1 : s.subnetFactor();
            double score = ctx.store().score(k);
            if (bestKey == null || score / factor > best / bestFactor) {
                best = score;
                bestKey = k;
                bestFactor = factor;
            }
        }
        if (bestKey == null) {
            return;
        }
        PostwardenConfig.Thresholds t = s.thresholds();
        double norm = best / bestFactor;
        String who = bestKey.level().label() + " " + bestKey.cidr();
        if (t.reject() > 0 && norm >= t.reject()) {
            ctx.find("score", Action.REJECT, best, t.reject() * bestFactor, "poor reputation: score "
                    + fmt(best) + " >= " + fmt(t.reject() * bestFactor) + " for " + who);
        } else if (t.defer() > 0 && norm >= t.defer()) {
            ctx.find("score", Action.DEFER, best, t.defer() * bestFactor, "poor reputation: score "
                    + fmt(best) + " >= " + fmt(t.defer() * bestFactor) + " for " + who + "; try again later");
        } else if (t.tag() > 0 && norm >= t.tag()) {
            ctx.find("score", Action.TAG, best, t.tag() * bestFactor, "score " + fmt(best) + " for " + who);
        }
    }

    static String fmt(double d) {
        return String.format(Locale.ROOT, "%.1f", d);
    }
}
