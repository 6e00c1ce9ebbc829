package org.postwarden.verdict;

/**
 * One check's observation about an event: which check fired, the bounded reason label, the value measured and the
 * threshold it was compared with, and the outcome it proposes.
 *
 * @param check     check name (bounded, from config), e.g. "rate-limit"
 * @param reason    bounded reason label for metrics, e.g. "recipients", "relay-attempt"
 * @param proposed  outcome this finding asks for ({@link Action#PASS} for signals that only feed the score)
 * @param value     measured value (count, score, weight)
 * @param threshold threshold compared with (0 when not applicable)
 * @param detail    human-readable detail for logs and explain output (may include the client key)
 * @param dryRun    whether the check that produced it runs in dry-run mode
 */
public record Finding(String check, String reason, Action proposed, double value, double threshold, String detail,
        boolean dryRun) {

    public Finding asDryRun() {
        return dryRun ? this : new Finding(check, reason, proposed, value, threshold, detail, true);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(check).append('/').append(reason);
        if (proposed != Action.PASS) {
            sb.append("->").append(proposed.label());
        }
        sb.append(' ').append(detail);
        if (dryRun) {
            sb.append(" (dry-run)");
        }
        return sb.toString();
    }
}
