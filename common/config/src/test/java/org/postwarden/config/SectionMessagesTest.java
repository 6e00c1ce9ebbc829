package org.postwarden.config;

import org.junit.jupiter.api.Test;

import static org.postwarden.config.ExactErrors.assertExactly;

/**
 * The exact text and order of the validation errors: the order of the sections, missing sections, and the
 * {@code policy:}, {@code milter:}, {@code http:} and {@code store:} sections. Each error names the key, the
 * value, the line in the user's file and the expectation; operators read these and other tests match on
 * them, so a refactoring of the validators must leave every character and the order in place.
 */
class SectionMessagesTest {
    @Test
    void everySectionInItsOrder() {
        assertExactly("""
                policy: {max-connections: 0}
                milter: {max-connections: 0}
                http: {listen: nowhere}
                store: {max-users: 1}
                networks: {trusted: [bad]}
                allowlist: {clients: [bad]}
                checks: {relay: null}
                limits: {sasl-user: {messages: [{window: 1h, max: 0}]}}
                scoring: {subnet-factor: 0.5}
                dnsbl: {max-in-flight: 0}
                admin: {token-file: "a\\0b"}
                ingest: {max-line-length: 1}
                bans: {subnet-min-hosts: 0}
                outbound: {action: drop}
                helo: {generic-patterns: ["("]}
                """,
                "policy.max-connections = \"0\" (line 1): a whole number from 1 to 1000000",
                "milter.max-connections = \"0\" (line 2): a whole number from 1 to 1000000",
                "http.listen = \"nowhere\" (line 3): expected host:port, e.g. 127.0.0.1:10033 or [::1]:10033",
                "store.max-users = \"1\" (line 4): a whole number from 100 to 10000000",
                "networks.trusted[0] = \"bad\" (line 5): a network like 192.0.2.0/24 or 2001:db8::/48 (not an IP "
                        + "address: 'bad' (expected: IPv4 or IPv6 literal))",
                "allowlist.clients[0] = \"bad\" (line 6): a network like 192.0.2.0/24 or 2001:db8::/48 (not an "
                        + "IP address: 'bad' (expected: IPv4 or IPv6 literal))",
                "checks.relay (line 7): a value (the key is missing or null)",
                "limits.sasl-user.messages[0].max = \"0\" (line 8): a whole number from 1 to 2147483647",
                "scoring.subnet-factor = \"0.5\" (line 9): a number from 1 to 1000",
                "dnsbl.max-in-flight = \"0\" (line 10): a whole number from 1 to 100000",
                "admin.token-file = \"a\0b\" (line 11): a file path, or \"\" to disable the admin API",
                "ingest.max-line-length = \"1\" (line 12): a whole number from 256 to 1048576",
                "bans.subnet-min-hosts = \"0\" (line 13): a whole number from 1 to 256",
                "outbound.action = \"drop\" (line 14): hold or defer",
                "helo.generic-patterns[0] = \"(\" (line 15): a valid regular expression (Unclosed group)");
    }

    @Test
    void missingSections() {
        assertExactly("""
                policy: null
                milter: null
                http: null
                store: null
                networks: null
                allowlist: null
                checks: null
                limits: null
                scoring: null
                helo: null
                dnsbl: null
                admin: null
                ingest: null
                bans: null
                outbound: null
                """,
                "policy (line 1): a value (the key is missing or null)",
                "milter (line 2): a value (the key is missing or null)",
                "http (line 3): a value (the key is missing or null)",
                "store (line 4): a value (the key is missing or null)",
                "networks (line 5): a value (the key is missing or null)",
                "allowlist (line 6): a value (the key is missing or null)",
                "checks (line 7): a value (the key is missing or null)",
                "limits (line 8): a value (the key is missing or null)",
                "scoring (line 9): a value (the key is missing or null)",
                "dnsbl (line 11): a value (the key is missing or null)",
                "admin (line 12): a value (the key is missing or null)",
                "ingest (line 13): a value (the key is missing or null)",
                "bans (line 14): a value (the key is missing or null)",
                "outbound (line 15): a value (the key is missing or null)",
                "helo (line 10): a value (the key is missing or null)");
    }

    @Test
    void policy() {
        assertExactly("""
                policy:
                  listen: localhost
                  max-line-length: 100
                  max-attributes: 1
                  max-request-bytes: 50
                  idle-timeout: 0s
                  time-budget: 0s
                  max-connections: 0
                  fallback-action: " OK "
                """,
                "policy.listen = \"localhost\" (line 2): expected host:port, e.g. 127.0.0.1:10033 or [::1]:10033",
                "policy.max-line-length = \"100\" (line 3): a whole number from 256 to 1048576",
                "policy.max-attributes = \"1\" (line 4): a whole number from 8 to 10000",
                "policy.max-request-bytes = \"50\" (line 5): a whole number from 1024 to 16777216",
                "policy.max-request-bytes = \"50\" (line 5): at least policy.max-line-length (100)",
                "policy.idle-timeout = \"0s\" (line 6): a positive duration",
                "policy.time-budget = \"0s\" (line 7): a positive duration",
                "policy.max-connections = \"0\" (line 8): a whole number from 1 to 1000000",
                "policy.fallback-action = \"OK\" (line 9): DUNNO, DEFER [text] or a 4xx reply; never OK or a "
                        + "reject (a policy server in trouble must not invent a verdict)");
    }

    @Test
    void policyNulls() {
        assertExactly("""
                policy: {listen: null, idle-timeout: null, time-budget: null, fallback-action: null}
                """,
                "policy.listen (line 1): a value (the key is missing or null)",
                "policy.idle-timeout (line 1): a value (the key is missing or null)",
                "policy.time-budget (line 1): a value (the key is missing or null)",
                "policy.fallback-action (line 1): a value (the key is missing or null)");
    }

    @Test
    void milter() {
        assertExactly("""
                milter:
                  listen: "localhost:10034"
                  max-packet-bytes: 100
                  idle-timeout: 0s
                  time-budget: 0s
                  max-connections: 0
                  max-concurrent-per-client: -1
                  fallback-action: reject
                  connect-refusal: drop
                  header: {name: "X Bad"}
                  fingerprint: {body-prefix-bytes: 1}
                  identical-messages:
                    - {window: 30d, max: 5}
                    - null
                    - {window: 1500ms, max: 0}
                    - {window: 40d, max: 3000000000}
                    - {window: null, max: 1}
                """,
                "milter.listen = \"localhost:10034\" (line 2): not an IP address: 'localhost' (expected: IPv4 or "
                        + "IPv6 literal)",
                "milter.max-packet-bytes = \"100\" (line 3): a whole number from 65536 to 16777216",
                "milter.idle-timeout = \"0s\" (line 4): a positive duration",
                "milter.time-budget = \"0s\" (line 5): a positive duration",
                "milter.max-connections = \"0\" (line 6): a whole number from 1 to 1000000",
                "milter.max-concurrent-per-client = \"-1\" (line 7): a whole number from 0 to 100000",
                "milter.fallback-action = \"reject\" (line 8): continue, accept or tempfail; never a reject (a "
                        + "milter in trouble must not invent a verdict)",
                "milter.connect-refusal = \"drop\" (line 9): as-decided, tempfail or reject",
                "milter.header.name = \"X Bad\" (line 10): a header name (letters, digits, '-')",
                "milter.fingerprint.body-prefix-bytes = \"1\" (line 11): a whole number from 64 to 65535",
                "milter.identical-messages = \"5 windows\" (line 12): at most 4 windows per counter",
                "milter.identical-messages[1] (line 14): {window: DURATION, max: N}",
                "milter.identical-messages[2].window = \"1500ms\" (line 15): whole seconds",
                "milter.identical-messages[2].max = \"0\" (line 15): a whole number from 1 to 2147483647",
                "milter.identical-messages[3].window = \"40d\" (line 16): between 1s and 31d",
                "milter.identical-messages[3].max = \"3000000000\" (line 16): a whole number from 1 to 2147483647",
                "milter.identical-messages[4].window (line 17): a value (the key is missing or null)",
                "milter.identical-messages = \"40d\" (line 12): windows no longer than store.idle-expiry (2d)");
    }

    @Test
    void milterNulls() {
        assertExactly("""
                milter: {listen: null, idle-timeout: null, time-budget: null, fallback-action: null,
                  connect-refusal: null, header: {name: null}, fingerprint: null, identical-messages: null}
                """,
                "milter.listen (line 1): a value (the key is missing or null)",
                "milter.idle-timeout (line 1): a value (the key is missing or null)",
                "milter.time-budget (line 1): a value (the key is missing or null)",
                "milter.fallback-action (line 1): a value (the key is missing or null)",
                "milter.connect-refusal (line 2): a value (the key is missing or null)",
                "milter.header.name (line 2): a value (the key is missing or null)",
                "milter.fingerprint (line 2): a value (the key is missing or null)",
                "milter.identical-messages (line 2): a value (the key is missing or null)");
    }

    @Test
    void milterHeaderNull() {
        assertExactly("""
                milter: {header: null}
                """,
                "milter.header (line 1): a value (the key is missing or null)");
    }

    @Test
    void http() {
        assertExactly("""
                http: {listen: "127.0.0.1:99999"}
                """,
                "http.listen = \"127.0.0.1:99999\" (line 1): port out of range (expected: 0..65535)");
    }

    @Test
    void httpNull() {
        assertExactly("""
                http: {listen: null}
                """,
                "http.listen (line 1): a value (the key is missing or null)");
    }

    @Test
    void store() {
        assertExactly("""
                store:
                  max-clients: 1
                  max-users: 1
                  idle-expiry: 0s
                  ipv6-wide-prefix: 70
                  snapshot: {path: null, interval: 0s}
                """,
                "store.max-clients = \"1\" (line 2): a whole number from 1000 to 100000000",
                "store.max-users = \"1\" (line 3): a whole number from 100 to 10000000",
                "store.idle-expiry = \"0s\" (line 4): a positive duration",
                "store.ipv6-wide-prefix = \"70\" (line 5): a whole number from 16 to 63",
                "store.snapshot.path (line 6): a value (the key is missing or null)",
                "store.snapshot.interval = \"0s\" (line 6): a positive duration",
                "store.idle-expiry = \"0s\" (line 4): at least the longest limit window (1d)");
    }

    @Test
    void storeNulls() {
        assertExactly("""
                store: {idle-expiry: null, snapshot: null}
                """,
                "store.idle-expiry (line 1): a value (the key is missing or null)",
                "store.snapshot (line 1): a value (the key is missing or null)");
    }
}
