package org.postwarden.config.load;

import org.postwarden.config.PostwardenConfig;

/**
 * The {@code scoring:} section: decay, the subnet factor and the crowd a network needs, the weight of each signal,
 * thresholds, the tag header.
 */
final class ScoringValidator {
    /** The keys of {@code scoring.weights}, in the order of {@link #weights}. */
    private static final String[] WEIGHT_KEYS = {"relay-attempt", "helo-not-fqdn", "helo-generic",
        "helo-ip-mismatch", "helo-claims-our-name", "limit-exceeded", "pregreet", "protocol-violation", "hangup",
        "postscreen-dnsbl", "auth-failure", "auth-lost", "tls-failure", "relay-denied", "helo-rejected"};

    private ScoringValidator() {
    }

    static void validate(PostwardenConfig.Scoring s, Problems p) {
        p.positive("scoring.half-life", s.halfLife());
        p.require("scoring.subnet-factor", s.subnetFactor(), s.subnetFactor() >= 1.0 && s.subnetFactor() <= 1000,
                "a number from 1 to 1000");
        p.require("scoring.subnet-min-hosts", s.subnetMinHosts(), s.subnetMinHosts() >= 2 && s.subnetMinHosts() <= 64,
                "a whole number from 2 (one host alone never moves its neighbours' verdicts) to 64 (the hosts "
                        + "remembered per network)");
        if (p.present("scoring.weights", s.weights())) {
            double[] ws = weights(s.weights());
            for (int i = 0; i < ws.length; i++) {
                p.require("scoring.weights." + WEIGHT_KEYS[i], ws[i], ws[i] >= -1000 && ws[i] <= 1000,
                        "a number from -1000 to 1000");
            }
        }
        if (p.present("scoring.thresholds", s.thresholds())) {
            PostwardenConfig.Thresholds t = s.thresholds();
            p.nonNegative("scoring.thresholds.tag", t.tag());
            p.nonNegative("scoring.thresholds.defer", t.defer());
            p.nonNegative("scoring.thresholds.reject", t.reject());
            if (t.defer() > 0 && t.reject() > 0 && t.reject() < t.defer()) {
                p.fail("scoring.thresholds.reject", t.reject(), "at least scoring.thresholds.defer (" + t.defer()
                        + ")");
            }
        }
        p.headerName("scoring.tag-header", s.tagHeader());
    }

    private static double[] weights(PostwardenConfig.Weights w) {
        return new double[] {w.relayAttempt(), w.heloNotFqdn(), w.heloGeneric(), w.heloIpMismatch(),
            w.heloClaimsOurName(), w.limitExceeded(), w.pregreet(), w.protocolViolation(), w.hangup(),
            w.postscreenDnsbl(), w.authFailure(), w.authLost(), w.tlsFailure(), w.relayDenied(), w.heloRejected()};
    }
}
