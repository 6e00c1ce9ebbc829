package org.postwarden.engine;

import org.postwarden.config.PostwardenConfig;
import org.postwarden.model.ClientKey;
import org.postwarden.verdict.Action;

import java.util.Locale;

/**
 * Maps the client's decayed score to tag / defer / reject. The host score is compared with the thresholds as
 * they are; subnet and wide scores with the thresholds times {@code scoring.subnet-factor}. This decision's own
 * weights ({@link EvaluationContext#weigh}: DNSBL/DNSWL listings) are added at every level, after that scaling, so a
 * DNSWL listing offsets whichever level trips and a DNSBL listing weighs the same whichever level it joins. Those
 * weights from a dry-run check only ever raise the "would have" outcome. Runs last.
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
        double extra = ctx.decisionWeight(false);
        Action enforced = outcome(t, norm + extra);
        report(ctx, false, enforced, t, best, bestFactor, extra, who);
        double extraAll = ctx.decisionWeight(true);
        if (extraAll != extra) {
            Action would = outcome(t, norm + extraAll);
            if (would.compareTo(enforced) > 0) {
                report(ctx, true, would, t, best, bestFactor, extraAll, who);
            }
        }
    }

    private static Action outcome(PostwardenConfig.Thresholds t, double norm) {
        if (t.reject() > 0 && norm >= t.reject()) {
            return Action.REJECT;
        }
        if (t.defer() > 0 && norm >= t.defer()) {
            return Action.DEFER;
        }
        if (t.tag() > 0 && norm >= t.tag()) {
            return Action.TAG;
        }
        return Action.PASS;
    }

    /**
     * Words the finding. Without decision weights (DNSBL/DNSWL) the score and threshold are those of the key level
     * that tripped; with them, both are in host units (the stored score divided by the level's factor, plus the
     * listings' weights), and the text names the lists.
     */
    private static void report(EvaluationContext ctx, boolean dryRunOnly, Action a, PostwardenConfig.Thresholds t,
            double best, double factor, double extra, String who) {
        if (a == Action.PASS) {
            return;
        }
        double threshold = switch (a) {
            case REJECT -> t.reject();
            case DEFER -> t.defer();
            default -> t.tag();
        };
        double value;
        String text;
        if (extra == 0) {
            value = best;
            threshold *= factor;
            text = "score " + fmt(best) + (a == Action.TAG ? "" : " >= " + fmt(threshold)) + " for " + who;
        } else {
            value = best / factor + extra;
            String lists = ctx.decisionSources().isEmpty() ? "" : ": " + String.join(", ", ctx.decisionSources());
            text = "score " + fmt(value) + (a == Action.TAG ? "" : " >= " + fmt(threshold)) + " for " + who
                    + " (stored " + fmt(best) + (factor == 1 ? "" : " / " + fmt(factor)) + ", DNS lists "
                    + (extra > 0 ? "+" : "") + fmt(extra) + lists + ")";
        }
        String detail = switch (a) {
            case REJECT -> "poor reputation: " + text;
            case DEFER -> "poor reputation: " + text + "; try again later";
            default -> text;
        };
        if (dryRunOnly) {
            ctx.findDryRun("score", a, value, threshold, detail);
        } else {
            ctx.find("score", a, value, threshold, detail);
        }
    }

    static String fmt(double d) {
        return String.format(Locale.ROOT, "%.1f", d);
    }
}
