package org.postwarden.config;

import org.junit.jupiter.api.Test;

import static org.postwarden.config.ExactErrors.assertExactly;

/**
 * The exact text and order of the validation errors of the {@code networks:}, {@code allowlist:},
 * {@code checks:}, {@code limits:}, {@code scoring:}, {@code helo:} and {@code admin:} sections.
 */
class RulesSectionMessagesTest {
    @Test
    void networksAndAllowlist() {
        assertExactly("""
                networks:
                  local-domains: ["", " "]
                  own-names: [null]
                  own-addresses: [192.0.2.1/40]
                  trusted: [10.0.0.0/33, "::1/128", nonsense]
                allowlist:
                  clients: [300.0.0.0/8]
                  sasl-users: [""]
                  trust-ok: [x]
                """,
                "networks.local-domains[0] = \"\" (line 2): a non-empty string",
                "networks.local-domains[1] = \" \" (line 2): a non-empty string",
                "networks.own-names[0] (line 3): a non-empty string",
                "networks.own-addresses[0] = \"192.0.2.1/40\" (line 4): a network like 192.0.2.0/24 or "
                        + "2001:db8::/48 (bad prefix length in '192.0.2.1/40' (expected: 0..32))",
                "networks.trusted[0] = \"10.0.0.0/33\" (line 5): a network like 192.0.2.0/24 or 2001:db8::/48 "
                        + "(bad prefix length in '10.0.0.0/33' (expected: 0..32))",
                "networks.trusted[2] = \"nonsense\" (line 5): a network like 192.0.2.0/24 or 2001:db8::/48 (not "
                        + "an IP address: 'nonsense' (expected: IPv4 or IPv6 literal))",
                "allowlist.clients[0] = \"300.0.0.0/8\" (line 7): a network like 192.0.2.0/24 or 2001:db8::/48 "
                        + "(not an IP address: '300.0.0.0' (expected: IPv4 or IPv6 literal))",
                "allowlist.sasl-users[0] = \"\" (line 8): a non-empty string",
                "allowlist.trust-ok[0] = \"x\" (line 9): a network like 192.0.2.0/24 or 2001:db8::/48 (not an IP "
                        + "address: 'x' (expected: IPv4 or IPv6 literal))");
    }

    @Test
    void networksAndAllowlistNulls() {
        assertExactly("""
                networks: {local-domains: null, own-names: null, own-addresses: null, trusted: null}
                allowlist: {clients: null, sasl-users: null, trust-ok: null}
                """,
                "networks.local-domains (line 1): a value (the key is missing or null)",
                "networks.own-names (line 1): a value (the key is missing or null)",
                "networks.own-addresses (line 1): a value (the key is missing or null)",
                "networks.trusted (line 1): a value (the key is missing or null)",
                "allowlist.clients (line 2): a value (the key is missing or null)",
                "allowlist.sasl-users (line 2): a value (the key is missing or null)",
                "allowlist.trust-ok (line 2): a value (the key is missing or null)");
    }

    @Test
    void checks() {
        assertExactly("""
                checks: {rate-limit: null, relay: null, helo: null, score: null, ban: null, dnsbl: null,
                  outbound: null}
                """,
                "checks.rate-limit (line 1): a value (the key is missing or null)",
                "checks.relay (line 1): a value (the key is missing or null)",
                "checks.helo (line 1): a value (the key is missing or null)",
                "checks.score (line 1): a value (the key is missing or null)",
                "checks.ban (line 1): a value (the key is missing or null)",
                "checks.dnsbl (line 1): a value (the key is missing or null)",
                "checks.outbound (line 2): a value (the key is missing or null)");
    }

    @Test
    void limits() {
        assertExactly("""
                limits:
                  host:
                    connections: [{window: 500ms, max: 1}, {window: 2500ms, max: 1}, null]
                    messages: [{window: 1h, max: 0}, {window: 1h, max: 1}, {window: 1h, max: 1}, {window: 1h, max: 1},
                      {window: 1h, max: 1}]
                    recipients: null
                  sasl-user:
                    messages: [{window: 32d, max: 1}]
                    recipients: [{window: null, max: 1}]
                """,
                "limits.host.connections[0].window = \"500ms\" (line 3): between 1s and 31d",
                "limits.host.connections[1].window = \"2500ms\" (line 3): whole seconds",
                "limits.host.connections[2] (line 3): {window: DURATION, max: N}",
                "limits.host.messages = \"5 windows\" (line 4): at most 4 windows per counter",
                "limits.host.messages[0].max = \"0\" (line 4): a whole number from 1 to 2147483647",
                "limits.host.recipients (line 6): a value (the key is missing or null)",
                "limits.sasl-user.messages[0].window = \"32d\" (line 8): between 1s and 31d",
                "limits.sasl-user.recipients[0].window (line 9): a value (the key is missing or null)",
                "store.idle-expiry = \"2d\": at least the longest limit window (32d)");
    }

    @Test
    void limitsNulls() {
        // Each level is reported; a null level used to end in a NullPointerException instead.
        assertExactly("""
                limits: {host: null, subnet: null, wide: null, sasl-user: null}
                """,
                "limits.host (line 1): a value (the key is missing or null)",
                "limits.subnet (line 1): a value (the key is missing or null)",
                "limits.wide (line 1): a value (the key is missing or null)",
                "limits.sasl-user (line 1): a value (the key is missing or null)");
    }

    @Test
    void limitLevelsAreReportedHostSubnetWide() {
        assertExactly("""
                limits:
                  wide: {connections: [{window: 1h, max: 0}]}
                  subnet: {messages: [{window: 1h, max: 0}]}
                  host: {recipients: [{window: 1h, max: 0}]}
                """,
                "limits.host.recipients[0].max = \"0\" (line 4): a whole number from 1 to 2147483647",
                "limits.subnet.messages[0].max = \"0\" (line 3): a whole number from 1 to 2147483647",
                "limits.wide.connections[0].max = \"0\" (line 2): a whole number from 1 to 2147483647");
    }

    @Test
    void submissionPortsCleanHistoryAndTheCrowdANetworkNeeds() {
        assertExactly("""
                networks:
                  submission-ports: [0, 587, 70000, null]
                  clean-history-messages: -1
                scoring:
                  subnet-min-hosts: 1
                """,
                "networks.submission-ports[0] = \"0\" (line 2): a TCP port from 1 to 65535 (a Postfix submission "
                        + "service, e.g. 587 or 465)",
                "networks.submission-ports[2] = \"70000\" (line 2): a TCP port from 1 to 65535 (a Postfix "
                        + "submission service, e.g. 587 or 465)",
                "networks.submission-ports[3] (line 2): a TCP port from 1 to 65535 (a Postfix submission service, "
                        + "e.g. 587 or 465)",
                "networks.clean-history-messages = \"-1\" (line 3): a whole number from 0 to 1000000",
                "scoring.subnet-min-hosts = \"1\" (line 5): a whole number from 2 (one host alone never moves its "
                        + "neighbours' verdicts) to 64 (the hosts remembered per network)");
        assertExactly("""
                networks: {submission-ports: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17]}
                scoring: {subnet-min-hosts: 65}
                """,
                "networks.submission-ports = \"[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17]\" (line 1): "
                        + "at most 16 ports, e.g. [587, 465]",
                "scoring.subnet-min-hosts = \"65\" (line 2): a whole number from 2 (one host alone never moves its "
                        + "neighbours' verdicts) to 64 (the hosts remembered per network)");
    }

    @Test
    void scoring() {
        assertExactly("""
                scoring:
                  half-life: 0s
                  subnet-factor: 1000.5
                  weights: {relay-attempt: 1001, helo-not-fqdn: -1001, helo-generic: 2000, helo-ip-mismatch: 2000,
                    helo-claims-our-name: 2000, limit-exceeded: 2000, pregreet: 2000, protocol-violation: 2000,
                    hangup: 2000, postscreen-dnsbl: 2000, auth-failure: 2000, auth-lost: 2000, tls-failure: 2000,
                    relay-denied: 2000, helo-rejected: 2000}
                  thresholds: {tag: -1, defer: 10, reject: 5}
                  tag-header: "bad header"
                """,
                "scoring.half-life = \"0s\" (line 2): a positive duration",
                "scoring.subnet-factor = \"1000.5\" (line 3): a number from 1 to 1000",
                "scoring.weights.relay-attempt = \"1001.0\" (line 4): a number from -1000 to 1000",
                "scoring.weights.helo-not-fqdn = \"-1001.0\" (line 4): a number from -1000 to 1000",
                "scoring.weights.helo-generic = \"2000.0\" (line 4): a number from -1000 to 1000",
                "scoring.weights.helo-ip-mismatch = \"2000.0\" (line 4): a number from -1000 to 1000",
                "scoring.weights.helo-claims-our-name = \"2000.0\" (line 5): a number from -1000 to 1000",
                "scoring.weights.limit-exceeded = \"2000.0\" (line 5): a number from -1000 to 1000",
                "scoring.weights.pregreet = \"2000.0\" (line 5): a number from -1000 to 1000",
                "scoring.weights.protocol-violation = \"2000.0\" (line 5): a number from -1000 to 1000",
                "scoring.weights.hangup = \"2000.0\" (line 6): a number from -1000 to 1000",
                "scoring.weights.postscreen-dnsbl = \"2000.0\" (line 6): a number from -1000 to 1000",
                "scoring.weights.auth-failure = \"2000.0\" (line 6): a number from -1000 to 1000",
                "scoring.weights.auth-lost = \"2000.0\" (line 6): a number from -1000 to 1000",
                "scoring.weights.tls-failure = \"2000.0\" (line 6): a number from -1000 to 1000",
                "scoring.weights.relay-denied = \"2000.0\" (line 7): a number from -1000 to 1000",
                "scoring.weights.helo-rejected = \"2000.0\" (line 7): a number from -1000 to 1000",
                "scoring.thresholds.tag = \"-1.0\" (line 8): a number from 0 (off) to 1000000",
                "scoring.thresholds.reject = \"5.0\" (line 8): at least scoring.thresholds.defer (10.0)",
                "scoring.tag-header = \"bad header\" (line 9): a header name (letters, digits, '-')");
    }

    @Test
    void scoringThresholdsTooHigh() {
        assertExactly("""
                scoring: {subnet-factor: 0.5, thresholds: {tag: 1000000, defer: 0, reject: 1}}
                """,
                "scoring.subnet-factor = \"0.5\" (line 1): a number from 1 to 1000",
                "scoring.thresholds.tag = \"1000000.0\" (line 1): a number from 0 (off) to 1000000");
    }

    @Test
    void scoringNulls() {
        assertExactly("""
                scoring: {half-life: null, weights: null, thresholds: null, tag-header: null}
                """,
                "scoring.half-life (line 1): a value (the key is missing or null)",
                "scoring.weights (line 1): a value (the key is missing or null)",
                "scoring.thresholds (line 1): a value (the key is missing or null)",
                "scoring.tag-header (line 1): a value (the key is missing or null)");
    }

    @Test
    void helo() {
        assertExactly("""
                helo: {generic-patterns: ["(unclosed", "fine", "[z-a]"]}
                """,
                "helo.generic-patterns[0] = \"(unclosed\" (line 1): a valid regular expression (Unclosed group)",
                "helo.generic-patterns[2] = \"[z-a]\" (line 1): a valid regular expression (Illegal character "
                        + "range)");
    }

    @Test
    void heloNull() {
        assertExactly("""
                helo: {generic-patterns: null}
                """,
                "helo.generic-patterns (line 1): a value (the key is missing or null)");
    }

    @Test
    void admin() {
        assertExactly("""
                admin: {token-file: "state/a\\0b"}
                """,
                "admin.token-file = \"state/a\0b\" (line 1): a file path, or \"\" to disable the admin API");
    }

    @Test
    void adminNull() {
        assertExactly("""
                admin: {token-file: null}
                """,
                "admin.token-file (line 1): a value (the key is missing or null)");
    }
}
