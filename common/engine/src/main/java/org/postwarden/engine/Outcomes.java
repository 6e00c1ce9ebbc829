package org.postwarden.engine;

import org.postwarden.rules.Rules;
import org.postwarden.verdict.Action;
import org.postwarden.verdict.Decision;
import org.postwarden.verdict.Finding;
import org.postwarden.verdict.Verdict;

import java.util.List;

/**
 * Combines a decision's findings into its verdict: the most severe proposed outcome wins (the first of equal ones);
 * outcomes proposed only by dry-run checks become {@code WARN would <action>: <text>}. A greylisting deferral becomes
 * Postfix's {@code DEFER_IF_PERMIT} when {@code greylist.action} says so. Stateless.
 */
final class Outcomes {
    private Outcomes() {
    }

    static Decision combine(List<Finding> findings, Rules rules) {
        Finding enforced = null;
        Finding would = null;
        for (Finding f : findings) {
            if (f.proposed().compareTo(Action.PASS) <= 0) {
                continue;
            }
            if (would == null || f.proposed().compareTo(would.proposed()) > 0) {
                would = f;
            }
            if (!f.dryRun() && (enforced == null || f.proposed().compareTo(enforced.proposed()) > 0)) {
                enforced = f;
            }
        }
        Verdict wouldV = toVerdict(would, rules);
        Verdict enforcedV = toVerdict(enforced, rules);
        if (enforced == null && would != null) {
            enforcedV = Verdict.warn("would " + would.proposed().label() + ": " + would.detail());
        }
        return new Decision(enforcedV, wouldV, findings, false);
    }

    private static Verdict toVerdict(Finding f, Rules rules) {
        if (f == null) {
            return Verdict.PASS;
        }
        return switch (f.proposed()) {
            case TAG -> Verdict.tag(rules.config().scoring().tagHeader(), f.detail());
            case HOLD -> Verdict.hold(f.detail());
            case DEFER -> ScoreCheck.NETWORK_REASON.equals(f.reason()) ? Verdict.deferOnly(f.detail())
                    : f.reason().equals(GreylistCheck.REASON) && rules.greylist() != null
                    && rules.greylist().deferIfPermit() ? Verdict.deferIfPermit(f.detail()) : Verdict.defer(f.detail());
            case REJECT -> Verdict.reject(f.detail());
            case WARN -> Verdict.warn(f.detail());
            case PASS, ACCEPT -> Verdict.PASS;
        };
    }
}
