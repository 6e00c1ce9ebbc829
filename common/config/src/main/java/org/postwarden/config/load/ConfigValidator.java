package org.postwarden.config.load;

import org.postwarden.config.PostwardenConfig;

import java.util.List;
import java.util.Map;

/**
 * Semantic checks on a bound configuration: each section that is there goes to its validator, and every error is
 * collected instead of stopping at the first. The calls below are in the order the errors are reported in.
 */
final class ConfigValidator {
    private ConfigValidator() {
    }

    /** Adds an error to {@code errors} for each problem of {@code c}; {@code lines} locates keys in the user's file. */
    static void validate(PostwardenConfig c, List<String> errors, Map<String, Integer> lines) {
        Problems p = new Problems(errors, lines);
        p.ifPresent("policy", c.policy(), s -> PolicySectionValidator.validate(s, p));
        p.ifPresent("milter", c.milter(), s -> MilterSectionValidator.validate(s, c.store(), p));
        p.ifPresent("http", c.http(), s -> HttpAdminValidator.http(s, p));
        p.ifPresent("store", c.store(), s -> StoreLimitsValidator.store(s, p));
        p.ifPresent("networks", c.networks(), s -> NetworksValidator.networks(s, p));
        p.ifPresent("allowlist", c.allowlist(), s -> NetworksValidator.allowlist(s, p));
        p.ifPresent("checks", c.checks(), s -> ChecksHeloValidator.checks(s, p));
        p.ifPresent("limits", c.limits(), s -> StoreLimitsValidator.limits(s, c.store(), p));
        p.ifPresent("scoring", c.scoring(), s -> ScoringValidator.validate(s, p));
        p.ifPresent("dnsbl", c.dnsbl(), s -> DnsblValidator.validate(s, c.policy(), c.milter(), p));
        p.ifPresent("admin", c.admin(), s -> HttpAdminValidator.admin(s, p));
        p.ifPresent("ingest", c.ingest(), s -> IngestValidator.validate(s, p));
        p.ifPresent("bans", c.bans(), s -> BansValidator.validate(s, p));
        p.ifPresent("outbound", c.outbound(), s -> OutboundValidator.validate(s, p));
        p.ifPresent("helo", c.helo(), s -> ChecksHeloValidator.helo(s, p));
        p.ifPresent("greylist", c.greylist(), s -> GreylistValidator.validate(s, c.policy(), c.milter(), p));
        p.ifPresent("auth-policy", c.authPolicy(), s -> AuthPolicyValidator.validate(s, p));
        p.ifPresent("crowdsec", c.crowdsec(), s -> CrowdSecValidator.validate(s, p));
    }
}
