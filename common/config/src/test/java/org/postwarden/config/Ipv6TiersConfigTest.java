package org.postwarden.config;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.junit.jupiter.api.Test;
import org.postwarden.config.load.ConfigLoader;
import org.postwarden.rules.NetworkTier;
import org.postwarden.rules.Rules;
import org.slf4j.LoggerFactory;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.postwarden.config.ExactErrors.assertExactly;

/** {@code networks.ipv6-tiers}: its default, its validation, and the deprecated {@code bans.ipv6-widen-after}. */
class Ipv6TiersConfigTest {
    @Test
    void theDefaultIsASlash56OfSlash64sAndASlash48OfSlash56s() throws Exception {
        Rules r = new Rules(ConfigLoader.loadDefault());
        List<NetworkTier> t = r.networkTiers(true);
        assertEquals(List.of(56, 48), t.stream().map(NetworkTier::prefix).toList());
        assertEquals("/64s", t.get(0).children());
        assertEquals("/56s", t.get(1).children());
        assertEquals(3, t.get(0).minChildren());
        assertEquals(3, t.get(1).banMinChildren(), "ban-min-children defaults to min-children");
        assertEquals(20.0, t.get(0).cap(), "the cap defaults to bans.threshold");
        assertTrue(t.get(1).bannable(), "a /48 is not wider than bans.max-ipv6-prefix (48)");
        assertEquals(null, r.config().bans().ipv6WidenAfter(), "not set by default any more");
    }

    @Test
    void tiersAreCheckedOneByOne() {
        assertExactly("""
                networks:
                  ipv6-tiers:
                    - {prefix: 64, min-children: 3}
                    - {prefix: 56, min-children: 1, ban-min-children: 100, cap: 0}
                    - {prefix: 60, min-children: 3}
                """,
                "networks.ipv6-tiers[0].prefix = \"64\" (line 3): a prefix length from 16 to 63 (tiers go from narrow "
                        + "to wide: each shorter than /64, the IPv6 host)",
                "networks.ipv6-tiers[1].min-children = \"1\" (line 4): a whole number from 2 to 64",
                "networks.ipv6-tiers[1].ban-min-children = \"100\" (line 4): a whole number from 2 to 64",
                "networks.ipv6-tiers[1].cap = \"0.0\" (line 4): a number above 0 and below 1000000 (the most one "
                        + "child adds; leave it out for bans.threshold)",
                "networks.ipv6-tiers[2].prefix = \"60\" (line 5): a prefix length from 16 to 55 (tiers go from narrow "
                        + "to wide: each shorter than /56, the tier before)");
    }

    @Test
    void noTiersAndAPerTierCapAndBanCrowd() throws Exception {
        Rules none = new Rules(ConfigLoader.load("t", "networks: {ipv6-tiers: []}\n"));
        assertTrue(none.networkTiers(true).isEmpty());
        Rules r = new Rules(ConfigLoader.load("t", """
                networks: {ipv6-tiers: [{prefix: 40, min-children: 4, ban-min-children: 0, cap: 5}]}
                bans: {max-ipv6-prefix: 32}
                """));
        NetworkTier t = r.networkTiers(true).get(0);
        assertEquals("/64s", t.children());
        assertEquals(0, t.banMinChildren(), "0: never banned");
        assertEquals(5.0, t.cap());
        assertTrue(t.bannable());
        Rules wide = new Rules(ConfigLoader.load("t", "networks: {ipv6-tiers: [{prefix: 40, min-children: 4}]}\n"));
        assertFalse(wide.networkTiers(true).get(0).bannable(), "wider than bans.max-ipv6-prefix (48)");
    }

    @Test
    void theDeprecatedWidenAfterIsStillAccepted() throws Exception {
        ListAppender<ILoggingEvent> log = new ListAppender<>();
        ch.qos.logback.classic.Logger rulesLog = (ch.qos.logback.classic.Logger) LoggerFactory.getLogger(Rules.class);
        log.start();
        rulesLog.addAppender(log);
        Rules r;
        try {
            r = new Rules(ConfigLoader.load("t", "bans: {ipv6-widen-after: 5}\n"));
            new Rules(ConfigLoader.loadDefault());
        } finally {
            rulesLog.detachAppender(log);
        }
        assertEquals(1, log.list.size(), "one warning, for the config that sets it");
        assertEquals(Level.WARN, log.list.get(0).getLevel());
        assertTrue(log.list.get(0).getFormattedMessage().startsWith("bans.ipv6-widen-after is deprecated and will be "
                + "removed: networks.ipv6-tiers replaces it"), log.list.get(0).getFormattedMessage());
        for (NetworkTier t : r.networkTiers(true)) {
            assertEquals(5, t.banMinChildren());
            assertEquals("bans.ipv6-widen-after", t.banMinKey());
        }
        assertExactly("bans: {ipv6-widen-after: -1}\n",
                "bans.ipv6-widen-after = \"-1\" (line 1): a whole number from 0 to 1000");
    }
}
