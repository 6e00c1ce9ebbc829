package org.postwarden.model;

/**
 * Exponential decay with a half-life: the one formula behind every decaying score, count and baseline (client and
 * network scores, failed-login scores of users, private-range traffic shares, outbound baselines).
 */
public final class Decay {
    private Decay() {
    }

    /**
     * {@code value} as it is {@code elapsed} time units after it was set, with half-life {@code halfLife} in the same
     * units: halved once per half-life. A non-positive elapsed time (a clock that went back) decays nothing.
     */
    public static double decayed(double value, double elapsed, double halfLife) {
        return elapsed <= 0 ? value : value * Math.pow(0.5, elapsed / halfLife);
    }
}
