package org.postwarden.engine;

import org.postwarden.config.PostwardenConfig;
import org.postwarden.model.ClientKey;
import org.postwarden.rules.NetworkTier;
import org.postwarden.verdict.Action;

import java.util.List;
import java.util.Locale;

/**
 * Maps the client's decayed scores to tag / defer / reject, per host first and per network only with a crowd:
 * <ul>
 * <li>own levels (IPv4 /32; IPv6 /128 and its /64): the host score is compared with the thresholds as they are,
 * the /64 with the thresholds times {@code scoring.subnet-factor};</li>
 * <li>each network (IPv4 /24; IPv6 each tier of {@code networks.ipv6-tiers}, narrowest first; its score is the sum
 * of its members' capped shares, see {@link NetworkScores}) with the thresholds times the factor, but only when at
 * least its crowd of distinct members contributed ({@code scoring.subnet-min-hosts}, a tier's {@code min-children}),
 * never for a host with a clean history, and at most to a defer ({@code reason} {@code network-score}): a
 * network-level refusal without a ban is never a 5xx; the most severe network is reported, the narrowest of
 * equals;</li>
 * <li>not at all for clients in {@code networks.trusted}, authenticated sessions (judged by the user's own sending:
 * quotas, the outbound guard) and submission services before AUTH (only a ban of the host refuses those).</li>
 * </ul>
 * This decision's own weights ({@link EvaluationContext#weigh}: DNSBL/DNSWL listings) are added at every level,
 * after that scaling, so a DNSWL listing offsets whichever level trips and a DNSBL listing weighs the same whichever
 * level it joins. Those weights from a dry-run check only ever raise the "would have" outcome. Runs last.
 *
 * <p>Cost: one score read per key level; the network's contributors and the host's history are read from their
 * tables only when the network's score would change the outcome. A network kept from judging a host (too few
 * contributors, a clean history) leaves a note ({@code network-crowd}, {@code clean-history}) in the findings.
 */
public final class ScoreCheck implements Check {
    /** The reason of a finding at the network level (its defer is never turned into a reject). */
    public static final String NETWORK_REASON = "network-score";

    @Override
    public String name() {
        return "score";
    }

    @Override
    public void evaluate(EvaluationContext ctx) {
        if (ctx.host() == null || ctx.trusted() || ctx.event().authenticated() || ctx.submissionBeforeAuth()) {
            return;
        }
        PostwardenConfig.Scoring s = ctx.rules().config().scoring();
        PostwardenConfig.Thresholds t = s.thresholds();
        double best = 0;
        ClientKey bestKey = null;
        double bestFactor = 1;
        for (ClientKey k : ctx.ownKeys()) {
            double factor = k.equals(ctx.host()) ? 1 : s.subnetFactor();
            double score = ctx.store().score(k);
            if (bestKey == null || score / factor > best / bestFactor) {
                best = score;
                bestKey = k;
                bestFactor = factor;
            }
        }
        double extra = ctx.decisionWeight(false);
        double extraAll = ctx.decisionWeight(true);
        String who = bestKey.level().label() + " " + bestKey.cidr();
        Action enforced = outcome(t, best / bestFactor + extra);
        Action would = outcome(t, best / bestFactor + extraAll);
        Action netEnforced = Action.PASS;
        Action netWould = Action.PASS;
        Crowd crowd = null;
        ClientKey net = null;
        double netScore = 0;
        double factor = s.subnetFactor();
        double lowest = NetworkScores.dirtyThreshold(t);
        List<ClientKey> nets = ctx.networks();
        for (int i = 0; i < nets.size() && lowest > 0; i++) {
            ClientKey n = nets.get(i);
            double score = ctx.store().score(n);
            if (score / factor + Math.max(extra, extraAll) < lowest) {
                continue;
            }
            // a network's crowd and the host's history are looked up only when the network would change things
            Action e = cap(outcome(t, score / factor + extra));
            Action w = cap(outcome(t, score / factor + extraAll));
            if (e.compareTo(max(enforced, netEnforced)) > 0 || w.compareTo(max(would, netWould)) > 0) {
                Crowd c = crowd(ctx, n, ctx.tiers().get(i));
                if (c == CLEAN) {
                    break;
                }
                if (c != null) {
                    netEnforced = e;
                    netWould = w;
                    crowd = c;
                    net = n;
                    netScore = score;
                }
            }
        }
        // the more severe level is reported; the host's own when both propose the same
        String netWho = crowd == null ? null : net.level().label() + " " + net.cidr();
        Action done;
        if (netEnforced.compareTo(enforced) > 0) {
            report(ctx, false, netEnforced, t, netScore, factor, extra, netWho, crowd);
            done = netEnforced;
        } else {
            report(ctx, false, enforced, t, best, bestFactor, extra, who, null);
            done = enforced;
        }
        if (netWould.compareTo(would) > 0 && netWould.compareTo(done) > 0) {
            report(ctx, true, netWould, t, netScore, factor, extraAll, netWho, crowd);
        } else if (would.compareTo(done) > 0) {
            report(ctx, true, would, t, best, bestFactor, extraAll, who, null);
        }
    }

    /**
     * The crowd of {@code net}, or null when it has too few members, or {@link #CLEAN} when the host has a clean
     * history (then no network counts for it).
     */
    private static Crowd crowd(EvaluationContext ctx, ClientKey net, NetworkTier tier) {
        int n = NetworkScores.contributors(ctx.store(), net);
        int min = tier.minChildren();
        if (n < min) {
            ctx.note("network-crowd", net.level().label() + " " + net.cidr() + ": " + tier.count(n)
                    + " contributed, its score counts from " + min + " (" + tier.minKey() + ")");
            return null;
        }
        if (ctx.cleanHistory()) {
            ctx.note("clean-history", "host has a clean history (networks.clean-history-messages): judged by its "
                    + "own score, not by " + net.level().label() + " " + net.cidr());
            return CLEAN;
        }
        return new Crowd(n, tier.cap(), tier);
    }

    /** How many members contributed to a network, and the most each may add. */
    private record Crowd(int hosts, double cap, NetworkTier tier) {
    }

    private static final Crowd CLEAN = new Crowd(0, 0, null);

    private static Action max(Action a, Action b) {
        return a.compareTo(b) >= 0 ? a : b;
    }

    /** A network's outcome goes no further than a defer. */
    private static Action cap(Action a) {
        return a == Action.REJECT ? Action.DEFER : a;
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
     * listings' weights), and the text names the lists. A network's finding says how many hosts contributed and the
     * most each may add.
     */
    private static void report(EvaluationContext ctx, boolean dryRunOnly, Action a, PostwardenConfig.Thresholds t,
            double best, double factor, double extra, String who, Crowd crowd) {
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
        String hosts = crowd == null ? "" : " (" + crowd.tier().count(crowd.hosts()) + " contributed, "
                + (Double.isInfinite(crowd.cap()) ? "each without a cap" : "each at most " + fmt(crowd.cap())) + ")";
        if (extra == 0) {
            value = best;
            threshold *= factor;
            text = "score " + fmt(best) + (a == Action.TAG ? "" : " >= " + fmt(threshold)) + " for " + who + hosts;
        } else {
            value = best / factor + extra;
            String lists = ctx.decisionSources().isEmpty() ? "" : ": " + String.join(", ", ctx.decisionSources());
            text = "score " + fmt(value) + (a == Action.TAG ? "" : " >= " + fmt(threshold)) + " for " + who + hosts
                    + " (stored " + fmt(best) + (factor == 1 ? "" : " / " + fmt(factor)) + ", DNS lists "
                    + (extra > 0 ? "+" : "") + fmt(extra) + lists + ")";
        }
        String detail = switch (a) {
            case REJECT -> "poor reputation: " + text;
            case DEFER -> "poor reputation: " + text + "; try again later";
            default -> text;
        };
        String reason = crowd == null ? "score" : NETWORK_REASON;
        if (dryRunOnly) {
            ctx.findDryRun(reason, a, value, threshold, detail);
        } else {
            ctx.find(reason, a, value, threshold, detail);
        }
    }

    static String fmt(double d) {
        return String.format(Locale.ROOT, "%.1f", d);
    }
}
