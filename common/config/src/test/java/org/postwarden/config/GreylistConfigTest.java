package org.postwarden.config;

import org.junit.jupiter.api.Test;
import org.postwarden.config.load.ConfigLoader;
import org.postwarden.dnsbl.zone.DnsblZone;
import org.postwarden.dnsbl.zone.DnsblZoneParser;
import org.postwarden.dnsbl.zone.ZoneKind;
import org.postwarden.model.Cidr;
import org.postwarden.rules.GreylistRules;
import org.postwarden.rules.Rules;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.postwarden.config.ExactErrors.assertExactly;

/**
 * The {@code greylist:} section (postgrey's defaults, off by default), {@code networks.clean-history-messages}, the
 * {@code checks.greylist} toggle, the {@code grey} marker of DNSBL zone entries, and the exact errors.
 */
class GreylistConfigTest {

    @Test
    void offByDefaultWithPostgreysDefaults() throws Exception {
        PostwardenConfig c = ConfigLoader.loadDefault();
        PostwardenConfig.Greylist g = c.greylist();
        assertFalse(g.enabled());
        assertNull(new Rules(c).greylist(), "disabled: nothing compiled, no entry, no DNS");
        assertEquals("defer-if-permit", g.action());
        assertEquals(Duration.ofMinutes(5), g.delay());
        assertEquals(Duration.ofDays(2), g.retryWindow());
        assertEquals(Duration.ofDays(35), g.maxAge());
        assertEquals(5, g.autoAllowlistAfter());
        assertEquals(100_000, g.maxEntries());
        assertEquals(3.0, g.minScore());
        assertTrue(g.noReverseName());
        assertTrue(g.genericHelo());
        assertEquals(List.of(), g.pools().networks());
        assertTrue(g.pools().ptr());
        assertTrue(g.pools().spf());
        assertEquals("", g.pools().resolver());
        assertEquals(Duration.ofMillis(150), g.pools().timeout());
        assertEquals(Duration.ofSeconds(2), g.pools().queryTimeout());
        assertEquals(Duration.ofHours(1), g.pools().cacheTtl());
        assertEquals("/usr/share/publicsuffix/public_suffix_list.dat", g.pools().publicSuffixList());
        assertEquals(5, c.networks().cleanHistoryMessages());
        assertTrue(c.checks().greylist().enabled());
        assertFalse(c.checks().greylist().dryRun());
    }

    @Test
    void anEnabledSectionCompiles() throws Exception {
        Rules r = new Rules(ConfigLoader.load("test.yaml", """
                greylist:
                  enabled: true
                  action: defer
                  delay: 1m
                  pools: {networks: [209.85.128.0/17], ptr: false}
                checks: {greylist: {dry-run: true}}
                """));
        GreylistRules g = r.greylist();
        assertFalse(g.deferIfPermit());
        assertEquals(Duration.ofMinutes(1), g.delay());
        assertEquals(List.of(Cidr.parse("209.85.128.0/17")), g.poolNetworks());
        assertEquals(Cidr.parse("209.85.128.0/17"), g.poolNetwork(Cidr.parseAddress("209.85.128.5"),
                Cidr.parseAddress("209.85.200.9")));
        assertNull(g.poolNetwork(Cidr.parseAddress("209.85.128.5"), Cidr.parseAddress("198.51.100.9")));
        assertFalse(g.ptrPools());
        assertTrue(g.spfPools());
        assertTrue(g.dnsPools());
        assertTrue(r.dryRun("greylist"));
        assertTrue(r.enabled("greylist"));
    }

    @Test
    void everyKeyIsValidatedWithKeyValueAndExpectation() {
        assertExactly("""
                greylist:
                  action: reject
                  delay: 0s
                  retry-window: 10s
                  max-age: 30m
                  auto-allowlist-after: -1
                  max-entries: 10
                  min-score: -1
                  pools:
                    networks: [bad]
                    resolver: nowhere
                    timeout: 0ms
                    query-timeout: 1ms
                    cache-ttl: 0s
                    public-suffix-list: "a\\0b"
                networks: {clean-history-messages: -1}
                """,
                "networks.clean-history-messages = \"-1\" (line 16): a whole number from 0 to 1000000",
                "greylist.action = \"reject\" (line 2): defer-if-permit (Postfix's DEFER_IF_PERMIT: a later reject "
                        + "in the restriction list still rejects) or defer (450 at once)",
                "greylist.delay = \"0s\" (line 3): a duration from 1s to 1d",
                "greylist.retry-window = \"10s\" (line 4): a duration from 1m to 30d",
                "greylist.max-age = \"30m\" (line 5): a duration from 1h to 400d",
                "greylist.auto-allowlist-after = \"-1\" (line 6): a whole number from 0 to 1000",
                "greylist.max-entries = \"10\" (line 7): a whole number from 100 to 10000000",
                "greylist.min-score = \"-1.0\" (line 8): a number from 0 (off) to 1000000",
                "greylist.pools.networks[0] = \"bad\" (line 10): a network like 192.0.2.0/24 or 2001:db8::/48 (not "
                        + "an IP address: 'bad' (expected: IPv4 or IPv6 literal))",
                "greylist.pools.resolver = \"nowhere\" (line 11): expected host:port, e.g. 127.0.0.1:10033 or "
                        + "[::1]:10033",
                "greylist.pools.timeout = \"0s\" (line 12): a duration from 1ms to 30s",
                "greylist.pools.query-timeout = \"1ms\" (line 13): a duration from 10ms to 1m",
                "greylist.pools.cache-ttl = \"0s\" (line 14): a duration from 1s to 1w",
                "greylist.pools.public-suffix-list = \"a\0b\" (line 15): a file path (Debian package publicsuffix: "
                        + "/usr/share/publicsuffix/public_suffix_list.dat), or \"\" for the built-in approximation");
    }

    @Test
    void windowsMustFitEachOther() {
        assertExactly("""
                greylist: {delay: 1h, retry-window: 1h, max-age: 1h}
                """,
                "greylist.retry-window = \"1h\" (line 1): longer than greylist.delay (1h), or no retry can ever pass");
        assertExactly("""
                greylist: {retry-window: 2d, max-age: 1d}
                """,
                "greylist.max-age = \"1d\" (line 1): at least greylist.retry-window (2d), or a waiting entry is "
                        + "forgotten before its retry");
    }

    @Test
    void theLookupWaitMustEndBeforeTheListenersBudgets() {
        assertExactly("""
                greylist: {enabled: true, pools: {timeout: 200ms}}
                """,
                "greylist.pools.timeout = \"200ms\" (line 1): less than policy.time-budget (200ms), or every slow "
                        + "pool lookup ends in the policy fallback instead of a decision",
                "greylist.pools.timeout = \"200ms\" (line 1): less than milter.time-budget (200ms), or every slow "
                        + "pool lookup ends in the milter fallback instead of a decision");
        assertEquals(Duration.ofMillis(200), assertDoesNotThrowLoad("""
                greylist: {enabled: true, pools: {timeout: 200ms, ptr: false, spf: false}}
                """).greylist().pools().timeout(), "no DNS pool: no wait to bound");
    }

    static PostwardenConfig assertDoesNotThrowLoad(String yaml) {
        try {
            return ConfigLoader.load("test.yaml", yaml);
        } catch (ConfigException e) {
            throw new AssertionError(e.errors().toString(), e);
        }
    }

    @Test
    void aZoneEntryMarkedGreyKeepsItsWeightAndFilter() {
        DnsblZone z = DnsblZoneParser.parse("bl.spamcop.net=127.0.0.2*1.5 grey", ZoneKind.CLIENT_IP);
        assertTrue(z.grey());
        assertEquals("bl.spamcop.net", z.domain());
        assertEquals(1.5, z.weight());
        assertTrue(z.filter() != null);
        DnsblZone only = DnsblZoneParser.parse("b.barracudacentral.org*0   GREY", ZoneKind.CLIENT_IP);
        assertTrue(only.grey());
        assertEquals(0.0, only.weight());
        DnsblZone plain = DnsblZoneParser.parse("zen.spamhaus.org*3", ZoneKind.CLIENT_IP);
        assertFalse(plain.grey());
        assertTrue(DnsblZoneParser.parse("dbl.test grey", ZoneKind.RHSBL_SENDER).grey());
    }

    @Test
    void greyIsRefusedOnAnAllowlistEntryAndAsAWordOfTheDomain() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DnsblZoneParser.parse("list.dnswl.org*-5 grey", ZoneKind.CLIENT_IP));
        assertTrue(e.getMessage().startsWith("\"grey\" on an allowlist entry (weight -5.0)"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> DnsblZoneParser.parse("grey", ZoneKind.CLIENT_IP));
        assertThrows(IllegalArgumentException.class,
                () -> DnsblZoneParser.parse("bl.test*2 gray", ZoneKind.CLIENT_IP), "only the word grey");
    }

    @Test
    void aGreyEntryWithAnEmbeddedDqsKeyIsStillHidden() {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load("test.yaml", """
                dnsbl:
                  zones: ["abcdefghij0123456789klmnop.zen.dq.spamhaus.net*2 grey"]
                """));
        assertEquals(1, e.errors().size(), e.errors().toString());
        assertFalse(e.errors().get(0).contains("abcdefghij0123456789klmnop"), e.errors().get(0));
        assertTrue(e.errors().get(0).contains("(hidden"), e.errors().get(0));
    }

    @Test
    void aGreyZoneLoadsFromTheConfig() throws Exception {
        Rules r = new Rules(ConfigLoader.load("test.yaml", """
                dnsbl:
                  enabled: true
                  zones:
                    - bl.test=127.0.0.[2..9]*0 grey
                    - bl2.test*4
                """));
        assertEquals(List.of(true, false), r.dnsbl().zones().stream().map(DnsblZone::grey).toList());
    }
}
