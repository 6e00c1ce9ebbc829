package org.postwarden.verdict;

import java.util.List;

/**
 * The engine's answer for one event.
 *
 * @param verdict   what to enforce
 * @param wouldHave what would have been enforced without dry-run ({@code verdict} itself when nothing was suppressed)
 * @param findings  every finding, in check order
 * @param fallback  true when this is the configured fallback after an internal failure or a blown time budget
 * @param hostScore the client host's decayed score after this event, for a report header: set at END-OF-MESSAGE
 *                  (0 at other stages, for exempt clients and without a client address)
 */
public record Decision(Verdict verdict, Verdict wouldHave, List<Finding> findings, boolean fallback,
        double hostScore) {

    public Decision {
        findings = List.copyOf(findings);
    }

    /** A decision without a host score. */
    public Decision(Verdict verdict, Verdict wouldHave, List<Finding> findings, boolean fallback) {
        this(verdict, wouldHave, findings, fallback, 0);
    }

    /** This decision with {@code score} as the host's score. */
    public Decision withHostScore(double score) {
        return new Decision(verdict, wouldHave, findings, fallback, score);
    }

    public static Decision pass() {
        return new Decision(Verdict.PASS, Verdict.PASS, List.of(), false);
    }

    public static Decision fallback(Verdict verdict) {
        return new Decision(verdict, verdict, List.of(), true);
    }

    /** True when dry-run suppressed a stronger outcome. */
    public boolean suppressed() {
        return wouldHave.action().compareTo(verdict.action()) > 0 && verdict.action() == Action.WARN;
    }

    /** The reason label of the finding that determined the enforced outcome, or "none". */
    public String primaryReason() {
        boolean dry = suppressed();
        Action target = dry ? wouldHave.action() : verdict.action();
        for (Finding f : findings) {
            if (f.proposed() == target && f.dryRun() == dry) {
                return f.reason();
            }
        }
        for (Finding f : findings) {
            if (f.proposed() == target) {
                return f.reason();
            }
        }
        return fallback ? "fallback" : "none";
    }
}
