package org.postwarden.config;

import java.time.Duration;
import java.util.List;

/**
 * The whole configuration, bound from YAML (kebab-case keys). Every key is documented, with its default and unit,
 * in {@code config/postwarden.yaml}, which is also the embedded default. Nested records mirror the YAML sections.
 */
public record PostwardenConfig(
        boolean dryRun,
        Policy policy,
        Http http,
        Store store,
        Networks networks,
        Allowlist allowlist,
        Checks checks,
        Limits limits,
        Scoring scoring,
        Helo helo) {

    /** Policy-delegation listener. */
    public record Policy(boolean enabled, String listen, int maxLineLength, int maxAttributes, int maxRequestBytes,
            Duration idleTimeout, Duration timeBudget, String fallbackAction, int maxConnections) {
    }

    /** HTTP listener for /healthz and /metrics. */
    public record Http(boolean enabled, String listen) {
    }

    /** Reputation store sizing and persistence. */
    public record Store(long maxClients, long maxUsers, Duration idleExpiry, int ipv6WidePrefix, Snapshot snapshot) {
    }

    /** State snapshots. An empty path disables persistence. */
    public record Snapshot(String path, Duration interval) {
    }

    /** What is "ours" and what is trusted. */
    public record Networks(List<String> localDomains, List<String> ownNames, List<String> ownAddresses,
            List<String> trusted) {
    }

    /** Exemptions. {@code trustOk} networks are the only clients ever answered {@code OK}. */
    public record Allowlist(List<String> clients, List<String> saslUsers, List<String> trustOk) {
    }

    /** Per-check switches. */
    public record Checks(Toggle rateLimit, Toggle relay, Toggle helo, Toggle score, Toggle ban) {
    }

    /** Enable a check and optionally run it in dry-run. */
    public record Toggle(boolean enabled, boolean dryRun) {
    }

    /** Rate limits per key level and per SASL user. */
    public record Limits(LevelLimits host, LevelLimits subnet, LevelLimits wide, UserLimits saslUser) {
    }

    /** Windows for one client key level. */
    public record LevelLimits(List<Window> connections, List<Window> messages, List<Window> recipients) {
    }

    /** Outbound quotas per SASL user. */
    public record UserLimits(List<Window> messages, List<Window> recipients) {
    }

    /** At most {@code max} events in any sliding {@code window}. */
    public record Window(Duration window, long max) {
    }

    /** Scores with exponential decay. */
    public record Scoring(Duration halfLife, double subnetFactor, Weights weights, Thresholds thresholds,
            String tagHeader) {
    }

    /** Signal weights (score points). */
    public record Weights(double relayAttempt, double heloNotFqdn, double heloGeneric, double heloIpMismatch,
            double heloClaimsOurName, double limitExceeded) {
    }

    /** Score thresholds; 0 disables that outcome. */
    public record Thresholds(double tag, double defer, double reject) {
    }

    /** HELO checks. */
    public record Helo(List<String> genericPatterns) {
    }
}
