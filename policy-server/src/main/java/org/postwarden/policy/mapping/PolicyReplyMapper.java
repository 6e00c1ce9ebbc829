package org.postwarden.policy.mapping;

import org.postwarden.model.SmtpStage;
import org.postwarden.verdict.Verdict;

/**
 * Maps verdicts to policy actions (access(5)): pass ⇒ {@code DUNNO}; explicit trust ⇒ {@code OK}; tag ⇒
 * {@code PREPEND Header: value}; hold ⇒ {@code HOLD text}; defer ⇒ {@code 450 4.7.1 text} (a greylisting deferral
 * that applies only if Postfix would otherwise permit ⇒ {@code DEFER_IF_PERMIT text}, which Postfix answers with
 * {@code $access_map_defer_code 4.7.1 text}); reject ⇒
 * {@code 550 5.7.1 text}; dry-run ⇒ {@code WARN text}. Nothing but {@link Verdict.Accept} ever maps to OK.
 */
public final class PolicyReplyMapper {
    private PolicyReplyMapper() {
    }

    public static String toAction(Verdict v, SmtpStage stage) {
        return switch (v) {
            case Verdict.Pass p -> "DUNNO";
            case Verdict.Accept a -> "OK";
            case Verdict.Tag t -> stage == SmtpStage.END_OF_MESSAGE ? "DUNNO"
                    : "PREPEND " + t.header() + ": " + t.value();
            case Verdict.Hold h -> "HOLD " + h.text();
            case Verdict.Defer d -> d.ifPermit() ? "DEFER_IF_PERMIT " + d.text()
                    : d.code() + " " + d.enhanced() + " " + d.text();
            case Verdict.Reject r -> r.code() + " " + r.enhanced() + " " + r.text();
            case Verdict.Warn w -> "WARN " + w.text();
        };
    }
}
