package org.postwarden.milter.mapping;

import org.postwarden.verdict.Decision;

import java.util.Set;

/**
 * The optional report header's value: {@code score=2.5 action=pass reasons=helo-generic,relay-attempt} — the
 * client's current host score, the action at the end of the message, and the reason labels of every finding of
 * the transaction ({@code none} when there were none). Plain ASCII on one line.
 */
public final class ReportHeader {
    private ReportHeader() {
    }

    public static String value(double score, Decision d, Set<String> reasons) {
        String r = reasons.isEmpty() ? "none" : String.join(",", reasons);
        String action = d.suppressed() ? "warn(would " + d.wouldHave().action().label() + ")"
                : d.verdict().action().label();
        return "score=" + oneDecimal(score) + " action=" + action + " reasons=" + r;
    }

    /** {@code %.1f} without a Formatter (this runs for every message). */
    static String oneDecimal(double v) {
        if (!Double.isFinite(v)) {
            return "0.0";
        }
        long tenths = Math.round(Math.abs(v) * 10);
        return (v < 0 && tenths != 0 ? "-" : "") + tenths / 10 + "." + tenths % 10;
    }
}
