package org.postwarden.config;

import org.junit.jupiter.api.Test;
import org.postwarden.config.load.ConfigLoader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.postwarden.config.ExactErrors.assertExactly;

/** The {@code auth-policy:} section: defaults, and each bad value named with its key and what was expected. */
class AuthPolicyMessagesTest {

    @Test
    void theDefaultIsOffOnLoopbackWithTheIssuesNumbers() throws Exception {
        PostwardenConfig.AuthPolicy a = ConfigLoader.loadDefault().authPolicy();
        assertFalse(a.enabled());
        assertEquals("127.0.0.1:10036", a.listen());
        assertEquals(3, a.tarpit().afterFailures());
        assertEquals(java.time.Duration.ofSeconds(15), a.tarpit().maxDelay());
        assertEquals(10, a.refuse().distinctPasswords());
        assertEquals(java.time.Duration.ofDays(7), a.knownDevice());
        assertEquals(20, a.spraying().networkUsers());
    }

    @Test
    void badValuesAreNamed() {
        assertExactly("""
                auth-policy:
                  listen: localhost
                  api-header: "X API"
                  max-request-bytes: 10
                  proxies: [not-a-net]
                  tarpit: {after-failures: 65, initial-delay: 10s, max-delay: 2s}
                  refuse: {distinct-passwords: 10, window: 5m}
                  spraying: {network-users: 500}
                """,
                "auth-policy.listen = \"localhost\" (line 2): expected host:port, e.g. 127.0.0.1:10033 or [::1]:10033",
                "auth-policy.api-header = \"X API\" (line 3): an HTTP header name (letters, digits, '-'), e.g. "
                        + "X-API-Key, or \"\" for none",
                "auth-policy.api-secret-file = \"\": a file path: auth-policy.api-header X API needs its value from a "
                        + "file",
                "auth-policy.max-request-bytes = \"10\" (line 4): a whole number from 512 to 1048576",
                "auth-policy.proxies[0] = \"not-a-net\" (line 5): a network like 192.0.2.0/24 or 2001:db8::/48 "
                        + "(not an IP address: 'not-a-net' (expected: IPv4 or IPv6 literal))",
                "auth-policy.tarpit.after-failures = \"65\" (line 6): a whole number from 0 to 64",
                "auth-policy.tarpit.max-delay = \"2s\" (line 6): at least auth-policy.tarpit.initial-delay (10s)",
                "auth-policy.refuse.window = \"5m\" (line 7): at least auth-policy.tarpit.window (10m): the failures "
                        + "of both are remembered for the longer one",
                "auth-policy.spraying.network-users = \"500\" (line 8): a whole number from 0 to 200");
    }
}
