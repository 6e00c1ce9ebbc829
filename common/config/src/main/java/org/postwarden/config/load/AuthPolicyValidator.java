package org.postwarden.config.load;

import org.postwarden.config.Durations;
import org.postwarden.config.PostwardenConfig;

import java.time.Duration;

/**
 * The {@code auth-policy:} section (Dovecot's authentication policy server). Its syntax is checked even while
 * {@code auth-policy.enabled} is false. The limits keep a request small and quick: Dovecot's own timeout
 * ({@code auth_policy_server_timeout_msecs}, 2 s by default) is what a slow answer runs into.
 */
final class AuthPolicyValidator {
    /** Distinct failures remembered per address: refusal counts above it could never be reached. */
    static final int MAX_DISTINCT = 64;
    /** Distinct users remembered per network for spraying. */
    static final int MAX_NETWORK_USERS = 200;
    /** Distinct users remembered overall for spraying. */
    static final int MAX_TOTAL_USERS = 1000;

    private AuthPolicyValidator() {
    }

    static void validate(PostwardenConfig.AuthPolicy a, Problems p) {
        p.hostPort("auth-policy.listen", a.listen());
        if (p.present("auth-policy.api-header", a.apiHeader()) && !a.apiHeader().isEmpty()) {
            p.require("auth-policy.api-header", a.apiHeader(), a.apiHeader().matches("[A-Za-z][A-Za-z0-9-]{0,62}"),
                    "an HTTP header name (letters, digits, '-'), e.g. X-API-Key, or \"\" for none");
        }
        p.filePath("auth-policy.api-secret-file", a.apiSecretFile(), "a file path holding the header's value, or "
                + "\"\" for none");
        if (a.apiHeader() != null && a.apiSecretFile() != null) {
            p.require("auth-policy.api-secret-file", a.apiSecretFile(),
                    a.apiHeader().isEmpty() == a.apiSecretFile().isEmpty(),
                    a.apiHeader().isEmpty() ? "\"\" while auth-policy.api-header is \"\" (set both or neither)"
                            : "a file path: auth-policy.api-header " + a.apiHeader() + " needs its value from a file");
        }
        p.wholeNumber("auth-policy.max-request-bytes", a.maxRequestBytes(), 512, 1 << 20);
        p.wholeNumber("auth-policy.max-connections", a.maxConnections(), 1, 100_000);
        Limits.buffered("auth-policy.max-buffered-bytes", a.maxBufferedBytes(), a.maxRequestBytes(),
                "auth-policy.max-request-bytes", p);
        p.positive("auth-policy.idle-timeout", a.idleTimeout());
        p.duration("auth-policy.request-timeout", a.requestTimeout(), Duration.ofMillis(100), Duration.ofMinutes(5));
        p.cidrs("auth-policy.proxies", a.proxies());
        p.duration("auth-policy.known-device", a.knownDevice(), Duration.ofMinutes(1), Duration.ofDays(365));
        p.ifPresent("auth-policy.tarpit", a.tarpit(), t -> tarpit(t, p));
        p.ifPresent("auth-policy.refuse", a.refuse(), r -> refuse(r, a.tarpit(), p));
        p.ifPresent("auth-policy.spraying", a.spraying(), s -> spraying(s, p));
    }

    private static void tarpit(PostwardenConfig.AuthTarpit t, Problems p) {
        p.wholeNumber("auth-policy.tarpit.after-failures", t.afterFailures(), 0, MAX_DISTINCT);
        p.duration("auth-policy.tarpit.window", t.window(), Duration.ofSeconds(1), Duration.ofDays(1));
        boolean first = p.duration("auth-policy.tarpit.initial-delay", t.initialDelay(), Duration.ofSeconds(1),
                Duration.ofMinutes(1));
        // Dovecot takes whole seconds and waits for the answer within its own timeout; the delay is its own
        if (p.duration("auth-policy.tarpit.max-delay", t.maxDelay(), Duration.ofSeconds(1), Duration.ofMinutes(5))
                && first && t.maxDelay().compareTo(t.initialDelay()) < 0) {
            p.fail("auth-policy.tarpit.max-delay", Durations.format(t.maxDelay()), "at least "
                    + "auth-policy.tarpit.initial-delay (" + Durations.format(t.initialDelay()) + ")");
        }
    }

    private static void refuse(PostwardenConfig.AuthRefuse r, PostwardenConfig.AuthTarpit t, Problems p) {
        p.wholeNumber("auth-policy.refuse.distinct-passwords", r.distinctPasswords(), 0, MAX_DISTINCT);
        if (p.duration("auth-policy.refuse.window", r.window(), Duration.ofMinutes(1), Duration.ofDays(7))
                && t != null && t.window() != null && r.window().compareTo(t.window()) < 0) {
            p.fail("auth-policy.refuse.window", Durations.format(r.window()), "at least auth-policy.tarpit.window ("
                    + Durations.format(t.window()) + "): the failures of both are remembered for the longer one");
        }
    }

    private static void spraying(PostwardenConfig.AuthSpraying s, Problems p) {
        p.wholeNumber("auth-policy.spraying.network-users", s.networkUsers(), 0, MAX_NETWORK_USERS);
        p.wholeNumber("auth-policy.spraying.total-users", s.totalUsers(), 0, MAX_TOTAL_USERS);
        p.duration("auth-policy.spraying.window", s.window(), Duration.ofMinutes(1), Duration.ofDays(1));
    }
}
