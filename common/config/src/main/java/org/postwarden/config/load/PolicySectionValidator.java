package org.postwarden.config.load;

import org.postwarden.config.PostwardenConfig;

import java.util.Locale;

/** The {@code policy:} section: the policy-delegation listener, its request limits and its fallback answer. */
final class PolicySectionValidator {
    private PolicySectionValidator() {
    }

    static void validate(PostwardenConfig.Policy s, Problems p) {
        p.hostPort("policy.listen", s.listen());
        p.wholeNumber("policy.max-line-length", s.maxLineLength(), 256, 1 << 20);
        p.wholeNumber("policy.max-attributes", s.maxAttributes(), 8, 10_000);
        p.wholeNumber("policy.max-request-bytes", s.maxRequestBytes(), 1024, 16 << 20);
        p.require("policy.max-request-bytes", s.maxRequestBytes(), s.maxRequestBytes() >= s.maxLineLength(),
                "at least policy.max-line-length (" + s.maxLineLength() + ")");
        p.positive("policy.idle-timeout", s.idleTimeout());
        p.positive("policy.time-budget", s.timeBudget());
        p.wholeNumber("policy.max-connections", s.maxConnections(), 1, 1_000_000);
        Limits.listener("policy", s.requestDeadline(), s.maxBufferedBytes(), s.maxRequestBytes(),
                "policy.max-request-bytes", p);
        Limits.queuedReplies("policy.max-queued-replies", s.maxQueuedReplies(), p);
        if (p.present("policy.fallback-action", s.fallbackAction())) {
            String a = s.fallbackAction().trim();
            String upper = a.toUpperCase(Locale.ROOT);
            boolean ok = upper.equals("DUNNO") || upper.equals("DEFER") || upper.startsWith("DEFER ")
                    || a.matches("4\\d\\d( .*)?");
            p.require("policy.fallback-action", a, ok, "DUNNO, DEFER [text] or a 4xx reply; never OK or a reject"
                    + " (a policy server in trouble must not invent a verdict)");
        }
    }
}
