package org.postwarden.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postwarden.config.load.ConfigLoader;
import org.postwarden.dnsbl.zone.DnsblSettings;
import org.postwarden.dnsbl.zone.ZoneKind;
import org.postwarden.rules.Rules;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The {@code dnsbl:} section: defaults, compilation, and errors that name key, value and expectation. */
class DnsblConfigTest {
    static final String KEY = "abcdefghij0123456789klmnop";

    @TempDir
    Path dir;

    static List<String> errors(String yaml) {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load("test.yaml", yaml));
        return e.errors();
    }

    static String only(List<String> errors, String prefix) {
        List<String> m = errors.stream().filter(s -> s.startsWith(prefix)).toList();
        assertEquals(1, m.size(), "one error for " + prefix + " in " + errors);
        return m.get(0);
    }

    @Test
    void theEmbeddedDefaultSendsNoDnsQueryAndDocumentsEveryKey() throws Exception {
        PostwardenConfig c = ConfigLoader.loadDefault();
        assertFalse(c.dnsbl().enabled());
        assertTrue(c.dnsbl().zones().isEmpty());
        assertEquals("", c.dnsbl().resolver());
        assertEquals(Duration.ofMillis(150), c.dnsbl().timeout());
        assertEquals(List.of("127.255.255.[0..255]", "127.0.0.255"), c.dnsbl().errorCodes());
        assertNull(new Rules(c).dnsbl(), "disabled: no settings, so no client and no thread");
        assertTrue(c.checks().dnsbl().enabled());
    }

    @Test
    void anEnabledSectionCompilesItsZonesOfEveryKind() throws Exception {
        PostwardenConfig c = ConfigLoader.load("test.yaml", """
                dnsbl:
                  enabled: true
                  resolver: 127.0.0.1:5353
                  zones:
                    - zen.spamhaus.org=127.0.0.[10;11]*8
                    - list.dnswl.org=127.0.[0..255].[1..3]*-5
                  rhsbl-helo: ["dbl.spamhaus.org=127.0.1.[2..99]*4"]
                  rhsbl-sender:
                    - dbl.spamhaus.org*2
                  own-ips: [192.0.2.25]
                """);
        DnsblSettings s = new Rules(c).dnsbl();
        assertEquals("127.0.0.1", s.resolver().getAddress().getHostAddress());
        assertEquals(5353, s.resolver().getPort());
        assertEquals(List.of("zen.spamhaus.org", "list.dnswl.org"), s.domains(ZoneKind.CLIENT_IP));
        assertEquals(-5.0, s.zones(ZoneKind.CLIENT_IP).get(1).weight());
        assertEquals(4.0, s.zones(ZoneKind.RHSBL_HELO).get(0).weight());
        assertEquals(2.0, s.zones(ZoneKind.RHSBL_SENDER).get(0).weight());
        assertEquals("192.0.2.25", s.ownIps().get(0).getHostAddress());
        assertEquals(s, new Rules(c).dnsbl(), "value semantics: a reload with equal settings keeps the client");
    }

    @Test
    void ownAddressesAreCheckedInTheZonesAndDnsblOwnIpsIsMergedIntoThem() throws Exception {
        PostwardenConfig c = ConfigLoader.load("test.yaml", """
                networks:
                  own-addresses: [192.0.2.25, 198.51.100.16/30, "2001:db8::25", 203.0.113.0/24]
                dnsbl:
                  enabled: true
                  zones: [bl.example.org]
                  own-ips: [192.0.2.26, 192.0.2.25]
                """);
        Rules r = new Rules(c);
        assertEquals(java.util.stream.Stream.of("192.0.2.25", "198.51.100.16", "198.51.100.17", "198.51.100.18",
                "198.51.100.19", "2001:db8::25", "192.0.2.26").map(org.postwarden.model.Cidr::parseAddress).toList(),
                r.dnsbl().ownIps(),
                "single addresses and networks of up to 16 addresses, in order, each once");
        assertEquals(List.of("203.0.113.0/24"), r.unmonitoredOwnNetworks().stream()
                .map(n -> n.network().getHostAddress() + "/" + n.prefix()).toList());
        java.net.InetAddress alias = org.postwarden.model.Cidr.parseAddress("192.0.2.26");
        assertTrue(r.ownAddress(alias) && r.exempt(alias), "an own-ips address is one of our own: never refused");
        assertTrue(r.bans().ignored(alias), "and never banned");
        assertEquals(Duration.ofMinutes(5), r.dnsbl().probeInterval(), "probe default");
        assertTrue(r.dnsbl().requireTestListing());
    }

    @Test
    void theProbeCanBeTunedOrSwitchedOffAndItsIntervalIsBounded() throws Exception {
        PostwardenConfig c = ConfigLoader.load("test.yaml", """
                dnsbl:
                  enabled: true
                  zones: [bl.example.org]
                  probe: {interval: 1m, require-test-listing: false}
                """);
        assertEquals(Duration.ofMinutes(1), new Rules(c).dnsbl().probeInterval());
        assertFalse(new Rules(c).dnsbl().requireTestListing());
        PostwardenConfig off = ConfigLoader.load("test.yaml", """
                dnsbl: {enabled: true, zones: [bl.example.org], probe: {enabled: false}}
                """);
        assertEquals(Duration.ZERO, new Rules(off).dnsbl().probeInterval());
        assertEquals("dnsbl.probe.interval = \"1s\" (line 1): a duration from 10s to 1d",
                only(errors("dnsbl: {probe: {interval: 1s}}\n"), "dnsbl.probe.interval"));
        PostwardenConfig exempt = ConfigLoader.load("test.yaml", """
                dnsbl: {enabled: true, zones: ["bogons.example.org*2", bl.example.org],
                        probe: {exempt-zones: [Bogons.Example.Org.]}}
                """);
        assertEquals(List.of("bogons.example.org"), new Rules(exempt).dnsbl().probeExemptZones());
        String e = only(errors("dnsbl: {zones: [bl.example.org], probe: {exempt-zones: [other.example.org]}}\n"),
                "dnsbl.probe.exempt-zones[0]");
        assertTrue(e.contains("\"other.example.org\"") && e.contains("the domain of a configured zone "
                + "(one of [bl.example.org])"), e);
    }

    @Test
    void aBadZoneNamesTheKeyTheValueTheLineAndTheExpectation() {
        String e = only(errors("""
                dnsbl:
                  zones:
                    - zen.spamhaus.org*3
                    - zen.spamhaus.org=127.0.0
                """), "dnsbl.zones[1]");
        assertTrue(e.startsWith("dnsbl.zones[1] = \"zen.spamhaus.org=127.0.0\" (line 4): bad return-code pattern"), e);
        assertTrue(e.contains("expected: d.d.d.d"), e);
    }

    @Test
    void zoneSyntaxIsCheckedEvenWhileDisabled() {
        only(errors("dnsbl:\n  rhsbl-sender: [\"not a zone\"]\n"), "dnsbl.rhsbl-sender[0]");
        only(errors("dnsbl:\n  error-codes: [\"127.0.0\"]\n"), "dnsbl.error-codes[0]");
        only(errors("dnsbl:\n  own-ips: [mx.example.org]\n"), "dnsbl.own-ips[0]");
        only(errors("dnsbl:\n  resolver: localhost\n"), "dnsbl.resolver");
        only(errors("dnsbl:\n  cache: {min-ttl: 2h, max-ttl: 1h}\n"), "dnsbl.cache.max-ttl");
    }

    @Test
    void turningItOnNeedsZonesAndAWaitShorterThanTheListenersBudgets() {
        List<String> errs = errors("""
                dnsbl:
                  enabled: true
                  timeout: 250ms
                """);
        assertTrue(only(errs, "dnsbl.zones").contains("at least one zone"), errs.toString());
        assertTrue(errs.stream().anyMatch(s -> s.startsWith("dnsbl.timeout = \"250ms\"")
                && s.contains("less than policy.time-budget (200ms)")), errs.toString());
        assertTrue(errors("policy: {time-budget: 1s}\nmilter: {time-budget: 1s}\ndnsbl: {enabled: true, timeout: 2s, "
                + "query-timeout: 1s, zones: [bl.example.org]}\n").stream()
                .anyMatch(s -> s.startsWith("dnsbl.timeout") && s.contains("at most dnsbl.query-timeout")));
    }

    @Test
    void theDqsKeyIsNeverEchoed() throws Exception {
        List<String> errs = errors("dnsbl:\n  dqs-key: \"" + KEY + "!\"\n  zones: [\"" + KEY
                + ".zen.dq.spamhaus.net\"]\n");
        String key = only(errs, "dnsbl.dqs-key");
        assertTrue(key.contains("(hidden, 27 characters)") && key.contains("16 to 64 letters and digits"), key);
        String zone = only(errs, "dnsbl.zones[0]");
        assertTrue(zone.contains("(hidden: it looks like it contains a DQS key)"), zone);
        for (String s : errs) {
            assertFalse(s.contains(KEY), s);
        }
        String missing = only(errors("dnsbl: {enabled: true, zones: [zen.dq.spamhaus.net]}\n"), "dnsbl.dqs-key");
        assertTrue(missing.contains("a key when a zone under dq.spamhaus.net is listed"), missing);
        PostwardenConfig ok = ConfigLoader.load("t", "dnsbl: {dqs-key: " + KEY + "}\n");
        assertFalse(ok.toString().contains(KEY), "the config's toString hides the key");
    }

    @Test
    void theDqsKeyCanComeFromAFileWhoseContentIsNeverEchoed() throws Exception {
        Path good = dir.resolve("dqs.key");
        Files.writeString(good, "\n" + KEY.toUpperCase(java.util.Locale.ROOT) + "\n");
        PostwardenConfig c = ConfigLoader.load("t", "dnsbl: {enabled: true, dqs-key-file: " + good
                + ", zones: [zen.dq.spamhaus.net*6]}\n");
        DnsblSettings s = new Rules(c).dnsbl();
        assertEquals(KEY, s.dqsKey());
        assertEquals(KEY + ".zen.dq.spamhaus.net", s.queryDomain("zen.dq.spamhaus.net"));
        assertFalse(s.toString().contains(KEY));

        Path bad = dir.resolve("bad.key");
        Files.writeString(bad, "secret-looking but wrong " + KEY + "\n");
        String e = only(errors("dnsbl: {enabled: true, dqs-key-file: " + bad + ", zones: [zen.dq.spamhaus.net]}\n"),
                "dnsbl.dqs-key-file");
        assertTrue(e.contains("not a DQS key"), e);
        assertFalse(e.contains(KEY), e);
        String missing = only(errors("dnsbl: {enabled: true, dqs-key-file: " + dir.resolve("none")
                + ", zones: [zen.dq.spamhaus.net]}\n"), "dnsbl.dqs-key-file");
        assertTrue(missing.contains("cannot read"), missing);
    }
}
