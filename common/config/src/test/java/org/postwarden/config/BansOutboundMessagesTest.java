package org.postwarden.config;

import org.junit.jupiter.api.Test;

import static org.postwarden.config.ExactErrors.assertExactly;

/**
 * The exact text and order of the validation errors of the {@code bans:} and {@code outbound:} sections.
 */
class BansOutboundMessagesTest {
    private static final String LONG = "a".repeat(64);

    @Test
    void bans() {
        assertExactly("""
                bans:
                  threshold: -1
                  subnet-min-hosts: 0
                  durations: [1h, forever, 0s]
                  permanent: [300.1.2.3/24]
                  ignore-networks: [bad]
                  ignore-users: [""]
                  user-alert-threshold: 1000000
                  user-alert-interval: 0s
                  ipv6-widen-after: -1
                  max-ipv6-prefix: 70
                  private-majority: {share: 1.5, half-life: 0s, ranges: [x]}
                  scanners:
                    suffixes: ["bad suffix!", -x.org, ".", a..b, ok.example., .ok.example, null, "%1$s.org",
                      x-.org, ""]
                    resolver: nohost
                    timeout: 1ms
                    cache-ttl: 1s
                  export:
                    cidr-map: "a\\0"
                    cidr-result: "OK please"
                    min-interval: 2h
                    command-timeout: 0s
                    reload-command: [""]
                    nftables-command: [nft, add]
                """.formatted(LONG),
                "bans.threshold = \"-1.0\" (line 2): a number from 0 (off) to 1000000",
                "bans.subnet-min-hosts = \"0\" (line 3): a whole number from 1 to 256",
                "bans.durations[1] = \"forever\" (line 4): a duration from 1s to 3650d (like 1h, 1d, 1w) or "
                        + "\"permanent\"",
                "bans.durations[2] = \"0s\" (line 4): a duration from 1s to 3650d (like 1h, 1d, 1w) or "
                        + "\"permanent\"",
                "bans.permanent[0] = \"300.1.2.3/24\" (line 5): a network like 192.0.2.0/24 or 2001:db8::/48 "
                        + "(not an IP address: '300.1.2.3' (expected: IPv4 or IPv6 literal))",
                "bans.ignore-networks[0] = \"bad\" (line 6): a network like 192.0.2.0/24 or 2001:db8::/48 (not "
                        + "an IP address: 'bad' (expected: IPv4 or IPv6 literal))",
                "bans.ignore-users[0] = \"\" (line 7): a non-empty string",
                "bans.user-alert-threshold = \"1000000.0\" (line 8): a number from 0 (off) to 1000000",
                "bans.user-alert-interval = \"0s\" (line 9): a positive duration",
                "bans.ipv6-widen-after = \"-1\" (line 10): a whole number from 0 to 1000",
                "bans.max-ipv6-prefix = \"70\" (line 11): a whole number from 16 to 64",
                "bans.private-majority.share = \"1.5\" (line 12): a share from 0 (guard off) to 1, e.g. 0.5",
                "bans.private-majority.half-life = \"0s\" (line 12): a positive duration",
                "bans.private-majority.ranges[0] = \"x\" (line 12): a network like 192.0.2.0/24 or 2001:db8::/48 "
                        + "(not an IP address: 'x' (expected: IPv4 or IPv6 literal))",
                "bans.scanners.suffixes[0] = \"bad suffix!\" (line 14): a DNS name suffix like shodan.io",
                "bans.scanners.suffixes[1] = \"-x.org\" (line 14): a DNS name suffix like shodan.io",
                "bans.scanners.suffixes[2] = \".\" (line 14): a DNS name suffix like shodan.io",
                "bans.scanners.suffixes[3] = \"a..b\" (line 14): a DNS name suffix like shodan.io",
                "bans.scanners.suffixes[6] (line 14): a DNS name suffix like shodan.io",
                "bans.scanners.suffixes[7] = \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.o"
                        + "rg\" (line 14): a DNS name suffix like shodan.io",
                "bans.scanners.suffixes[8] = \"x-.org\" (line 15): a DNS name suffix like shodan.io",
                "bans.scanners.suffixes[9] = \"\" (line 15): a DNS name suffix like shodan.io",
                "bans.scanners.resolver = \"nohost\" (line 16): expected host:port, e.g. 127.0.0.1:10033 or "
                        + "[::1]:10033",
                "bans.scanners.timeout = \"1ms\" (line 17): a duration from 10ms to 30s",
                "bans.scanners.cache-ttl = \"1s\" (line 18): a duration from 1m to 30d",
                "bans.export.cidr-map = \"a\0\" (line 20): a file path, or \"\" for no cidr map",
                "bans.export.cidr-result = \"OK please\" (line 21): REJECT, optionally followed by a text on the "
                        + "same line (postscreen_access_list only understands its first word)",
                "bans.export.min-interval = \"2h\" (line 22): a duration from 0s to 1h",
                "bans.export.command-timeout = \"0s\" (line 23): a duration from 1s to 10m",
                "bans.export.reload-command[0] = \"\" (line 24): a non-empty string",
                "bans.export.nftables-command = \"[nft, add]\" (line 25): an argument containing ${element} (the "
                        + "banned network and its timeout)");
    }

    @Test
    void bansEmptyDurations() {
        assertExactly("""
                bans: {durations: [], private-majority: {share: -0.1}, scanners: {timeout: 31s, cache-ttl: 31d},
                  export: {cidr-result: "REJECT\\nmore", command-timeout: 11m}}
                """,
                "bans.durations = \"[]\" (line 1): 1 to 16 ban lengths, e.g. [1h, 1d, 1w, permanent]",
                "bans.private-majority.share = \"-0.1\" (line 1): a share from 0 (guard off) to 1, e.g. 0.5",
                "bans.scanners.timeout = \"31s\" (line 1): a duration from 10ms to 30s",
                "bans.scanners.cache-ttl = \"31d\" (line 1): a duration from 1m to 30d",
                "bans.export.cidr-result = \"REJECT\\nmore\" (line 2): REJECT, optionally followed by a text on "
                        + "the same line (postscreen_access_list only understands its first word)",
                "bans.export.command-timeout = \"11m\" (line 2): a duration from 1s to 10m");
    }

    @Test
    void bansTooManyDurations() {
        assertExactly("""
                bans: {durations: [1h, 1h, 1h, 1h, 1h, 1h, 1h, 1h, 1h, 1h, 1h, 1h, 1h, 1h, 1h, 1h, 1h],
                  export: {cidr-result: "REJECT %1$s%1$s%1$s%1$s"},
                  ipv6-widen-after: 1001, max-ipv6-prefix: 15}
                """.formatted(LONG),
                "bans.durations = \"[1h, 1h, 1h, 1h, 1h, 1h, 1h, 1h, 1h, 1h, 1h, 1h, 1h, 1h, 1h, 1h, 1h]\" (line "
                        + "1): 1 to 16 ban lengths, e.g. [1h, 1d, 1w, permanent]",
                "bans.ipv6-widen-after = \"1001\" (line 3): a whole number from 0 to 1000",
                "bans.max-ipv6-prefix = \"15\" (line 3): a whole number from 16 to 64",
                "bans.export.cidr-result = \"REJECT aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                        + "aaaaaaaaaaaa...\" (line 2): REJECT, optionally followed by a text on the same line "
                        + "(postscreen_access_list only understands its first word)");
    }

    @Test
    void bansNulls() {
        assertExactly("""
                bans: {durations: null, permanent: null, ignore-networks: null, ignore-users: null,
                  user-alert-interval: null, private-majority: null, scanners: null, export: null}
                """,
                "bans.durations (line 1): a value (the key is missing or null)",
                "bans.permanent (line 1): a value (the key is missing or null)",
                "bans.ignore-networks (line 1): a value (the key is missing or null)",
                "bans.ignore-users (line 1): a value (the key is missing or null)",
                "bans.user-alert-interval (line 2): a value (the key is missing or null)",
                "bans.private-majority (line 2): a value (the key is missing or null)",
                "bans.scanners (line 2): a value (the key is missing or null)",
                "bans.export (line 2): a value (the key is missing or null)");
    }

    @Test
    void bansNestedNulls() {
        assertExactly("""
                bans:
                  private-majority: {half-life: null, ranges: null}
                  scanners: {suffixes: null, resolver: null, timeout: null, cache-ttl: null}
                  export: {cidr-map: null, cidr-result: null, min-interval: null, command-timeout: null,
                    reload-command: null, nftables-command: null}
                """,
                "bans.private-majority.half-life (line 2): a value (the key is missing or null)",
                "bans.private-majority.ranges (line 2): a value (the key is missing or null)",
                "bans.scanners.suffixes (line 3): a value (the key is missing or null)",
                "bans.scanners.resolver (line 3): a value (the key is missing or null)",
                "bans.scanners.timeout (line 3): a value (the key is missing or null)",
                "bans.scanners.cache-ttl (line 3): a value (the key is missing or null)",
                "bans.export.cidr-map (line 4): a value (the key is missing or null)",
                "bans.export.cidr-result (line 4): a value (the key is missing or null)",
                "bans.export.min-interval (line 4): a value (the key is missing or null)",
                "bans.export.command-timeout (line 4): a value (the key is missing or null)",
                "bans.export.reload-command (line 5): a value (the key is missing or null)",
                "bans.export.nftables-command (line 5): a value (the key is missing or null)");
    }

    @Test
    void outbound() {
        assertExactly("""
                outbound:
                  action: Hold
                  allow-senders: [nobody, "a@b@c", "@", "x@", "", "<a@b>", "a b@c", list-bounces@lists.example.org,
                    "@lists.example.org", null]
                  state-path: "s\\0"
                  max-profiles: 1
                  profile-expiry: 1h
                  known-recipients: 1
                  baseline: {half-life: 1m, factor: 1}
                  floors: {messages: 10, recipients: 0, domains: 20, new-recipients: 60}
                  ceilings: {messages: 5, recipients: 0, domains: 20000000, new-recipients: 59}
                  new-network: {factor: 0, window: 1s}
                  identical-content-recipients: -1
                  failures: {max-share: 0, min-deliveries: 0}
                  alerts:
                    webhook: {url: "ftp://x.example", timeout: 1ms, attempts: 0, retry-delay: 2h}
                    mail: {command: [""], to: "", from: "a\\nb"}
                  queue:
                    interval: 2h
                    list-command: []
                    postsuper-command: []
                    command-timeout: 0s
                    max-messages: 1
                    alert-depth: -1
                    alert-oldest-age: 400d
                    alert-sender-share: 2
                    alert-sender-min-messages: 0
                    alert-growth-per-minute: -1
                    alert-interval: 8d
                """,
                "outbound.action = \"Hold\" (line 2): hold or defer",
                "outbound.allow-senders[0] = \"nobody\" (line 3): an envelope sender like "
                        + "list-bounces@lists.example.org, or a whole domain like @lists.example.org",
                "outbound.allow-senders[1] = \"a@b@c\" (line 3): an envelope sender like "
                        + "list-bounces@lists.example.org, or a whole domain like @lists.example.org",
                "outbound.allow-senders[2] = \"@\" (line 3): an envelope sender like "
                        + "list-bounces@lists.example.org, or a whole domain like @lists.example.org",
                "outbound.allow-senders[3] = \"x@\" (line 3): an envelope sender like "
                        + "list-bounces@lists.example.org, or a whole domain like @lists.example.org",
                "outbound.allow-senders[4] = \"\" (line 3): an envelope sender like "
                        + "list-bounces@lists.example.org, or a whole domain like @lists.example.org",
                "outbound.allow-senders[5] = \"<a@b>\" (line 3): an envelope sender like "
                        + "list-bounces@lists.example.org, or a whole domain like @lists.example.org",
                "outbound.allow-senders[6] = \"a b@c\" (line 3): an envelope sender like "
                        + "list-bounces@lists.example.org, or a whole domain like @lists.example.org",
                "outbound.allow-senders[9] (line 4): an envelope sender like list-bounces@lists.example.org, or "
                        + "a whole domain like @lists.example.org",
                "outbound.state-path = \"s\0\" (line 5): the path of an earlier version's outbound state file to import "
                        + "once, or \"\"",
                "outbound.max-profiles = \"1\" (line 6): a whole number from 100 to 10000000",
                "outbound.profile-expiry = \"1h\" (line 7): a duration from 1d to 3650d",
                "outbound.known-recipients = \"1\" (line 8): a whole number from 16 to 4096",
                "outbound.baseline.half-life = \"1m\" (line 9): a duration from 1h to 365d",
                "outbound.baseline.factor = \"1.0\" (line 9): a number from 1.5 to 1000 (how many times its "
                        + "usual hourly amount a sender may send)",
                "outbound.ceilings.messages = \"5\" (line 11): at least outbound.floors.messages (10)",
                "outbound.floors.recipients = \"0\" (line 10): a whole number from 1 to 10000000",
                "outbound.ceilings.recipients = \"0\" (line 11): a whole number from 1 to 10000000",
                "outbound.ceilings.domains = \"20000000\" (line 11): a whole number from 1 to 10000000",
                "outbound.ceilings.new-recipients = \"59\" (line 11): at least outbound.floors.new-recipients "
                        + "(60)",
                "outbound.new-network.factor = \"0.0\" (line 12): a number above 0 and at most 1 (1 = no change)",
                "outbound.new-network.window = \"1s\" (line 12): a duration from 1m to 30d",
                "outbound.identical-content-recipients = \"-1\" (line 13): a whole number from 0 to 1000000",
                "outbound.failures.max-share = \"0.0\" (line 14): a share above 0 and at most 1 (1 = off)",
                "outbound.failures.min-deliveries = \"0\" (line 14): a whole number from 1 to 1000000",
                "outbound.alerts.webhook.url = \"ftp://x.example\" (line 16): an http:// or https:// URL, or "
                        + "\"\" for no webhook (not an absolute http(s) URL)",
                "outbound.alerts.webhook.timeout = \"1ms\" (line 16): a duration from 100ms to 5m",
                "outbound.alerts.webhook.attempts = \"0\" (line 16): a whole number from 1 to 20",
                "outbound.alerts.webhook.retry-delay = \"2h\" (line 16): a duration from 1ms to 1h",
                "outbound.alerts.mail.command[0] = \"\" (line 17): a non-empty string",
                "outbound.alerts.mail.to = \"\" (line 17): a mail address on one line (at most 200 characters)",
                "outbound.alerts.mail.from = \"a\\nb\" (line 17): a mail address on one line (at most 200 "
                        + "characters)",
                "outbound.queue.interval = \"2h\" (line 19): a duration from 1s to 1h",
                "outbound.queue.list-command = \"[]\" (line 20): a command (argv), e.g. [postqueue, -j]",
                "outbound.queue.postsuper-command = \"[]\" (line 21): a command (argv), e.g. [postsuper]",
                "outbound.queue.command-timeout = \"0s\" (line 22): a duration from 1s to 10m",
                "outbound.queue.max-messages = \"1\" (line 23): a whole number from 100 to 10000000",
                "outbound.queue.alert-depth = \"-1\" (line 24): a whole number from 0 to 100000000",
                "outbound.queue.alert-oldest-age = \"400d\" (line 25): a duration from 0s to 365d",
                "outbound.queue.alert-sender-share = \"2.0\" (line 26): a share from 0 (off) to 1",
                "outbound.queue.alert-sender-min-messages = \"0\" (line 27): a whole number from 1 to 100000000",
                "outbound.queue.alert-growth-per-minute = \"-1.0\" (line 28): a number from 0 (off) to 1000000",
                "outbound.queue.alert-interval = \"8d\" (line 29): a duration from 1s to 1w");
    }

    @Test
    void outboundUpperBounds() {
        assertExactly("""
                outbound:
                  max-profiles: 10000001
                  profile-expiry: 3651d
                  known-recipients: 4097
                  baseline: {half-life: 366d, factor: 1001}
                  new-network: {factor: 1.5, window: 31d}
                  identical-content-recipients: 1000001
                  failures: {max-share: 1.5, min-deliveries: 1000001}
                  alerts:
                    webhook: {url: "not a url", timeout: 6m, attempts: 21, retry-delay: 0ms}
                    mail: {to: "%1$s%1$s%1$s%1$s", from: " "}
                  queue: {interval: 0s, command-timeout: 11m, max-messages: 10000001, alert-depth: 100000001,
                    alert-sender-share: -1, alert-sender-min-messages: 100000001, alert-growth-per-minute: 1000000,
                    alert-interval: 0s}
                """.formatted(LONG),
                "outbound.max-profiles = \"10000001\" (line 2): a whole number from 100 to 10000000",
                "outbound.profile-expiry = \"3651d\" (line 3): a duration from 1d to 3650d",
                "outbound.known-recipients = \"4097\" (line 4): a whole number from 16 to 4096",
                "outbound.baseline.half-life = \"366d\" (line 5): a duration from 1h to 365d",
                "outbound.baseline.factor = \"1001.0\" (line 5): a number from 1.5 to 1000 (how many times its "
                        + "usual hourly amount a sender may send)",
                "outbound.new-network.factor = \"1.5\" (line 6): a number above 0 and at most 1 (1 = no change)",
                "outbound.new-network.window = \"31d\" (line 6): a duration from 1m to 30d",
                "outbound.identical-content-recipients = \"1000001\" (line 7): a whole number from 0 to 1000000",
                "outbound.failures.max-share = \"1.5\" (line 8): a share above 0 and at most 1 (1 = off)",
                "outbound.failures.min-deliveries = \"1000001\" (line 8): a whole number from 1 to 1000000",
                "outbound.alerts.webhook.url = \"not a url\" (line 10): an http:// or https:// URL, or \"\" for "
                        + "no webhook (Illegal character in path)",
                "outbound.alerts.webhook.timeout = \"6m\" (line 10): a duration from 100ms to 5m",
                "outbound.alerts.webhook.attempts = \"21\" (line 10): a whole number from 1 to 20",
                "outbound.alerts.webhook.retry-delay = \"0s\" (line 10): a duration from 1ms to 1h",
                "outbound.alerts.mail.to = \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                        + "aaaaaaaaaaaa...\" (line 11): a mail address on one line (at most 200 characters)",
                "outbound.alerts.mail.from = \" \" (line 11): a mail address on one line (at most 200 characters)",
                "outbound.queue.interval = \"0s\" (line 12): a duration from 1s to 1h",
                "outbound.queue.command-timeout = \"11m\" (line 12): a duration from 1s to 10m",
                "outbound.queue.max-messages = \"10000001\" (line 12): a whole number from 100 to 10000000",
                "outbound.queue.alert-depth = \"100000001\" (line 12): a whole number from 0 to 100000000",
                "outbound.queue.alert-sender-share = \"-1.0\" (line 13): a share from 0 (off) to 1",
                "outbound.queue.alert-sender-min-messages = \"100000001\" (line 13): a whole number from 1 to "
                        + "100000000",
                "outbound.queue.alert-growth-per-minute = \"1000000.0\" (line 13): a number from 0 (off) to "
                        + "1000000",
                "outbound.queue.alert-interval = \"0s\" (line 14): a duration from 1s to 1w");
    }

    @Test
    void outboundWebhookUrls() {
        assertExactly("""
                outbound: {alerts: {webhook: {url: /relative/hook}}}
                """,
                "outbound.alerts.webhook.url = \"/relative/hook\" (line 1): an http:// or https:// URL, or \"\" "
                        + "for no webhook (not an absolute http(s) URL)");
    }

    @Test
    void outboundWebhookUrlWithoutHost() {
        assertExactly("""
                outbound: {alerts: {webhook: {url: "http://"}}}
                """,
                "outbound.alerts.webhook.url = \"http://\" (line 1): an http:// or https:// URL, or \"\" for no "
                        + "webhook (Expected authority)");
    }

    @Test
    void outboundNulls() {
        assertExactly("""
                outbound: {action: null, allow-senders: null, state-path: null, profile-expiry: null, baseline: null,
                  floors: null, ceilings: null, new-network: null, failures: null, alerts: null, queue: null}
                """,
                "outbound.action (line 1): a value (the key is missing or null)",
                "outbound.allow-senders (line 1): a value (the key is missing or null)",
                "outbound.state-path (line 1): a value (the key is missing or null)",
                "outbound.profile-expiry (line 1): a value (the key is missing or null)",
                "outbound.baseline (line 1): a value (the key is missing or null)",
                "outbound.floors (line 2): a value (the key is missing or null)",
                "outbound.ceilings (line 2): a value (the key is missing or null)",
                "outbound.new-network (line 2): a value (the key is missing or null)",
                "outbound.failures (line 2): a value (the key is missing or null)",
                "outbound.alerts (line 2): a value (the key is missing or null)",
                "outbound.queue (line 2): a value (the key is missing or null)");
    }

    @Test
    void outboundNestedNulls() {
        assertExactly("""
                outbound:
                  baseline: {half-life: null}
                  new-network: {window: null}
                  alerts:
                    webhook: {url: null, timeout: null, retry-delay: null}
                    mail: {command: null, to: null, from: null}
                  queue: {interval: null, list-command: null, postsuper-command: null, command-timeout: null,
                    alert-oldest-age: null, alert-interval: null}
                """,
                "outbound.baseline.half-life (line 2): a value (the key is missing or null)",
                "outbound.new-network.window (line 3): a value (the key is missing or null)",
                "outbound.alerts.webhook.url (line 5): a value (the key is missing or null)",
                "outbound.alerts.webhook.timeout (line 5): a value (the key is missing or null)",
                "outbound.alerts.webhook.retry-delay (line 5): a value (the key is missing or null)",
                "outbound.alerts.mail.command (line 6): a value (the key is missing or null)",
                "outbound.alerts.mail.to (line 6): a value (the key is missing or null)",
                "outbound.alerts.mail.from (line 6): a value (the key is missing or null)",
                "outbound.queue.interval (line 7): a value (the key is missing or null)",
                "outbound.queue.list-command (line 7): a value (the key is missing or null)",
                "outbound.queue.postsuper-command (line 7): a value (the key is missing or null)",
                "outbound.queue.command-timeout (line 7): a value (the key is missing or null)",
                "outbound.queue.alert-oldest-age (line 8): a value (the key is missing or null)",
                "outbound.queue.alert-interval (line 8): a value (the key is missing or null)");
    }

    @Test
    void outboundAlertsNulls() {
        assertExactly("""
                outbound: {floors: null, alerts: {webhook: null, mail: null}}
                """,
                "outbound.floors (line 1): a value (the key is missing or null)",
                "outbound.alerts.webhook (line 1): a value (the key is missing or null)",
                "outbound.alerts.mail (line 1): a value (the key is missing or null)");
    }
}
