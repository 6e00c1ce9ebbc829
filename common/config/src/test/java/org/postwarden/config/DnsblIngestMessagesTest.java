package org.postwarden.config;

import org.junit.jupiter.api.Test;

import static org.postwarden.config.ExactErrors.assertExactly;

/**
 * The exact text and order of the validation errors of the {@code dnsbl:} and {@code ingest:} sections,
 * including the cross-section checks against the listeners' time budgets.
 */
class DnsblIngestMessagesTest {
    @Test
    void dnsblSyntaxWhileDisabled() {
        assertExactly("""
                dnsbl:
                  resolver: localhost
                  timeout: 31s
                  query-timeout: 5ms
                  max-in-flight: 0
                  cache: {size: 1, min-ttl: 2d, max-ttl: 1d, failure-ttl: 2h}
                  zones:
                    - zen.spamhaus.org=127.0.0
                    - abcdefghij0123456789klmnop.zen.dq.spamhaus.net
                    - zen.spamhaus.org*3
                  rhsbl-helo: ["not a zone"]
                  rhsbl-sender: ["dbl.spamhaus.org*x"]
                  error-codes: ["127.0.0", "127.255.255.[0..255]"]
                  dqs-key: "short"
                  dqs-key-file: /etc/postwarden/dqs.key
                  own-ips: [mx.example.org, 192.0.2.1]
                  own-ip-check-interval: 1s
                """,
                "dnsbl.resolver = \"localhost\" (line 2): expected host:port, e.g. 127.0.0.1:10033 or [::1]:10033",
                "dnsbl.timeout = \"31s\" (line 3): a duration from 1ms to 30s",
                "dnsbl.query-timeout = \"5ms\" (line 4): a duration from 10ms to 1m",
                "dnsbl.max-in-flight = \"0\" (line 5): a whole number from 1 to 100000",
                "dnsbl.cache.size = \"1\" (line 6): a whole number from 100 to 10000000",
                "dnsbl.cache.min-ttl = \"2d\" (line 6): a duration from 0s to 1d",
                "dnsbl.cache.max-ttl = \"1d\" (line 6): at least dnsbl.cache.min-ttl (2d)",
                "dnsbl.cache.failure-ttl = \"2h\" (line 6): a duration from 0s to 1h",
                "dnsbl.zones[0] = \"zen.spamhaus.org=127.0.0\" (line 8): bad return-code pattern \"127.0.0\": "
                        + "only 3 of 4 octets (expected: d.d.d.d where each d is a number or [n;m..k], e.g. "
                        + "127.0.[0..255].[1..3])",
                "dnsbl.zones[1] = \"(hidden: it looks like it contains a DQS key)\" (line 9): the zone without "
                        + "the key, e.g. zen.dq.spamhaus.net, and the key in dnsbl.dqs-key or dnsbl.dqs-key-file",
                "dnsbl.rhsbl-helo[0] = \"not a zone\" (line 11): \"not a zone\" is not a DNS zone (expected a "
                        + "domain with at least two labels, e.g. zen.spamhaus.org)",
                "dnsbl.rhsbl-sender[0] = \"dbl.spamhaus.org*x\" (line 12): weight \"x\" is not a number "
                        + "(expected: *N with N from -1000 to 1000, negative for allowlists, e.g. *3 or *-5)",
                "dnsbl.error-codes[0] = \"127.0.0\" (line 13): bad return-code pattern \"127.0.0\": only 3 of 4 "
                        + "octets (expected: d.d.d.d where each d is a number or [n;m..k], e.g. 127.0.[0..255].[1..3])",
                "dnsbl.dqs-key = \"(hidden, 5 characters)\" (line 14): a Spamhaus DQS key: 16 to 64 letters and "
                        + "digits",
                "dnsbl.dqs-key-file = \"/etc/postwarden/dqs.key\" (line 15): empty when dnsbl.dqs-key is set "
                        + "(give the key once)",
                "dnsbl.own-ips[0] = \"mx.example.org\" (line 16): an IP address like 192.0.2.25 or 2001:db8::25 "
                        + "(not an IP address: 'mx.example.org' (expected: IPv4 or IPv6 literal))",
                "dnsbl.own-ip-check-interval = \"1s\" (line 17): a duration from 10s to 1w");
    }

    @Test
    void dnsblCacheBounds() {
        assertExactly("""
                dnsbl: {cache: {size: 20000000, min-ttl: 1h, max-ttl: 8d, failure-ttl: 1s}, own-ip-check-interval: 8d}
                """,
                "dnsbl.cache.size = \"20000000\" (line 1): a whole number from 100 to 10000000",
                "dnsbl.cache.max-ttl = \"8d\" (line 1): a duration from 1s to 1w",
                "dnsbl.own-ip-check-interval = \"8d\" (line 1): a duration from 10s to 1w");
    }

    @Test
    void dnsblEnabledWithoutZonesAndSlow() {
        assertExactly("""
                dnsbl: {enabled: true, timeout: 3s, query-timeout: 1s}
                """,
                "dnsbl.zones = \"[]\": at least one zone in dnsbl.zones, dnsbl.rhsbl-helo or dnsbl.rhsbl-sender "
                        + "when dnsbl.enabled is true",
                "dnsbl.timeout = \"3s\" (line 1): at most dnsbl.query-timeout (1s)",
                "dnsbl.timeout = \"3s\" (line 1): less than policy.time-budget (200ms), or every slow lookup "
                        + "ends in the policy fallback instead of a decision",
                "dnsbl.timeout = \"3s\" (line 1): less than milter.time-budget (200ms), or every slow lookup "
                        + "ends in the milter fallback instead of a decision");
    }

    @Test
    void dnsblEnabledListenersOff() {
        assertExactly("""
                policy: {enabled: false}
                milter: {enabled: false}
                dnsbl: {enabled: true, timeout: 3s, zones: [bl.example.org]}
                """,
                "dnsbl.timeout = \"3s\" (line 3): at most dnsbl.query-timeout (2s)");
    }

    @Test
    void dnsblDqsZoneWithoutKey() {
        assertExactly("""
                dnsbl: {enabled: true, zones: [zen.dq.spamhaus.net]}
                """,
                "dnsbl.dqs-key = \"\": a key when a zone under dq.spamhaus.net is listed (or dnsbl.dqs-key-file)");
    }

    @Test
    void dnsblDqsKeyFileUnreadable() {
        assertExactly("""
                dnsbl: {enabled: true, dqs-key-file: /nonexistent/postwarden.key, rhsbl-helo: [dbl.dq.spamhaus.net]}
                """,
                "dnsbl.dqs-key-file = \"/nonexistent/postwarden.key\" (line 1): a readable file with the key on "
                        + "its first line (cannot read (NoSuchFileException))");
    }

    @Test
    void dnsblNulls() {
        assertExactly("""
                dnsbl: {enabled: true, resolver: null, timeout: null, query-timeout: null,
                  cache: {min-ttl: null, max-ttl: null, failure-ttl: null}, zones: null, rhsbl-helo: null,
                  rhsbl-sender: null, error-codes: null, dqs-key: null, dqs-key-file: null, own-ips: null,
                  own-ip-check-interval: null}
                """,
                "dnsbl.resolver (line 1): a value (the key is missing or null)",
                "dnsbl.timeout (line 1): a value (the key is missing or null)",
                "dnsbl.query-timeout (line 1): a value (the key is missing or null)",
                "dnsbl.cache.min-ttl (line 2): a value (the key is missing or null)",
                "dnsbl.cache.max-ttl (line 2): a value (the key is missing or null)",
                "dnsbl.cache.failure-ttl (line 2): a value (the key is missing or null)",
                "dnsbl.zones (line 2): a value (the key is missing or null)",
                "dnsbl.rhsbl-helo (line 2): a value (the key is missing or null)",
                "dnsbl.rhsbl-sender (line 3): a value (the key is missing or null)",
                "dnsbl.error-codes (line 3): a value (the key is missing or null)",
                "dnsbl.dqs-key (line 3): a value (the key is missing or null)",
                "dnsbl.dqs-key-file (line 3): a value (the key is missing or null)",
                "dnsbl.own-ips (line 3): a value (the key is missing or null)",
                "dnsbl.own-ip-check-interval (line 4): a value (the key is missing or null)",
                "dnsbl.zones = \"[]\" (line 2): at least one zone in dnsbl.zones, dnsbl.rhsbl-helo or "
                        + "dnsbl.rhsbl-sender when dnsbl.enabled is true");
    }

    @Test
    void dnsblCacheNull() {
        assertExactly("""
                dnsbl: {cache: null}
                """,
                "dnsbl.cache (line 1): a value (the key is missing or null)");
    }

    @Test
    void ingest() {
        assertExactly("""
                ingest:
                  files: ["", /var/log/mail.log, null]
                  docker-json: ["a\\0b"]
                  poll-interval: 2h
                  max-line-length: 10
                  state-path: "x\\0"
                  max-line-age: 400d
                  syslog: {enabled: true, udp: "", tcp: "", max-message-bytes: 10, max-connections: 0,
                    idle-timeout: 0s}
                """,
                "ingest.files[0] = \"\" (line 2): a file path",
                "ingest.files[2] (line 2): a file path",
                "ingest.docker-json[0] = \"a\0b\" (line 3): a file path",
                "ingest.poll-interval = \"2h\" (line 4): a duration from 10ms to 1m",
                "ingest.max-line-length = \"10\" (line 5): a whole number from 256 to 1048576",
                "ingest.state-path = \"x\0\" (line 6): a file path, or \"\" to always start at the end",
                "ingest.max-line-age = \"400d\" (line 7): a duration from 0s to 365d",
                "ingest.syslog.udp = \"\" (line 8): a host:port in ingest.syslog.udp or ingest.syslog.tcp when "
                        + "ingest.syslog.enabled is true",
                "ingest.syslog.max-message-bytes = \"10\" (line 8): a whole number from 480 to 1048576",
                "ingest.syslog.max-connections = \"0\" (line 8): a whole number from 1 to 100000",
                "ingest.syslog.idle-timeout = \"0s\" (line 9): a positive duration");
    }

    @Test
    void ingestSyslogAddresses() {
        assertExactly("""
                ingest: {poll-interval: 5ms, syslog: {udp: nohost, tcp: "localhost:1", max-message-bytes: 2000000,
                  max-connections: 100001}}
                """,
                "ingest.poll-interval = \"5ms\" (line 1): a duration from 10ms to 1m",
                "ingest.syslog.udp = \"nohost\" (line 1): expected host:port, e.g. 127.0.0.1:10033 or [::1]:10033",
                "ingest.syslog.tcp = \"localhost:1\" (line 1): not an IP address: 'localhost' (expected: IPv4 or "
                        + "IPv6 literal)",
                "ingest.syslog.max-message-bytes = \"2000000\" (line 1): a whole number from 480 to 1048576",
                "ingest.syslog.max-connections = \"100001\" (line 2): a whole number from 1 to 100000");
    }

    @Test
    void ingestLineCapsProgramNamesAndSyslogSources() {
        assertExactly("""
                ingest:
                  max-attempts-per-line: 0
                  max-line-share: 1.0
                  program-names: ["", "a b", "x:"]
                  syslog: {enabled: true, allowed-sources: []}
                """,
                "ingest.syslog.allowed-sources = \"[]\" (line 5): at least one network (e.g. [127.0.0.0/8, "
                        + "\"::1/128\"]) when ingest.syslog.enabled is true",
                "ingest.max-attempts-per-line = \"0\" (line 2): a whole number from 1 to 100",
                "ingest.max-line-share = \"1.0\" (line 3): a share above 0 and below 1 of bans.threshold, so that "
                        + "no single log line bans",
                "ingest.program-names[0] = \"\" (line 4): a syslog program name of 1 to 64 characters, e.g. mail "
                        + "or postfix-in",
                "ingest.program-names[1] = \"a b\" (line 4): a syslog program name without spaces, ':', '[' or "
                        + "']', e.g. mail or postfix-in",
                "ingest.program-names[2] = \"x:\" (line 4): a syslog program name without spaces, ':', '[' or "
                        + "']', e.g. mail or postfix-in");
        assertExactly("""
                ingest: {syslog: {allowed-sources: [loopback]}}
                """,
                "ingest.syslog.allowed-sources[0] = \"loopback\" (line 1): a network like 192.0.2.0/24 or "
                        + "2001:db8::/48 (not an IP address: 'loopback' (expected: IPv4 or IPv6 literal))");
    }

    @Test
    void ingestNulls() {
        assertExactly("""
                ingest: {files: null, docker-json: null, poll-interval: null, state-path: null, max-line-age: null,
                  syslog: {enabled: true, udp: null, tcp: null, idle-timeout: null}}
                """,
                "ingest.files (line 1): a value (the key is missing or null)",
                "ingest.docker-json (line 1): a value (the key is missing or null)",
                "ingest.poll-interval (line 1): a value (the key is missing or null)",
                "ingest.state-path (line 1): a value (the key is missing or null)",
                "ingest.max-line-age (line 1): a value (the key is missing or null)",
                "ingest.syslog.udp (line 2): a value (the key is missing or null)",
                "ingest.syslog.tcp (line 2): a value (the key is missing or null)",
                "ingest.syslog.udp = \"\" (line 2): a host:port in ingest.syslog.udp or ingest.syslog.tcp when "
                        + "ingest.syslog.enabled is true",
                "ingest.syslog.idle-timeout (line 2): a value (the key is missing or null)");
    }

    @Test
    void ingestSyslogNull() {
        assertExactly("""
                ingest: {syslog: null}
                """,
                "ingest.syslog (line 1): a value (the key is missing or null)");
    }
}
