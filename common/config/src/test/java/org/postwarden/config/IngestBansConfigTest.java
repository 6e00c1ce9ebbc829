package org.postwarden.config;

import org.junit.jupiter.api.Test;
import org.postwarden.config.load.ConfigLoader;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The {@code ingest:} and {@code bans:} sections: safe defaults, and errors that name key, value and expectation. */
class IngestBansConfigTest {

    @Test
    void theDefaultReadsNothingOpensNothingAndExportsNothing() throws Exception {
        PostwardenConfig c = ConfigLoader.loadDefault();
        assertTrue(c.ingest().files().isEmpty());
        assertTrue(c.ingest().dockerJson().isEmpty());
        assertFalse(c.ingest().syslog().enabled());
        assertEquals("127.0.0.1:10514", c.ingest().syslog().udp(), "loopback when turned on");
        assertEquals("", c.bans().export().cidrMap());
        assertTrue(c.bans().export().nftablesCommand().isEmpty(), "nftables off by default");
        PostwardenConfig.Nftables n = c.bans().export().nftables();
        assertFalse(n.enabled(), "the nftables sets off by default");
        assertEquals(List.of("/usr/sbin/nft"), n.command());
        assertEquals(List.of("postwarden", "banned4", "banned6"), List.of(n.table(), n.set4(), n.set6()));
        assertEquals(Duration.ofMinutes(10), n.resyncInterval());
        assertEquals(List.of("1h", "1d", "1w", "permanent"), c.bans().durations());
        assertEquals(Duration.ofHours(1), BanDurations.parse(c.bans().durations().get(0)));
        assertNull(BanDurations.parse("permanent"));
    }

    @Test
    void everyBadValueIsReportedWithKeyValueAndExpectation() {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load("t", """
                ingest:
                  files: [""]
                  poll-interval: 2h
                  max-line-length: 10
                  syslog: {enabled: true, udp: "", tcp: "", max-message-bytes: 10}
                bans:
                  threshold: -1
                  durations: [1h, forever]
                  permanent: [300.1.2.3/24]
                  max-ipv6-prefix: 70
                  private-majority: {share: 1.5}
                  scanners: {suffixes: ["bad suffix!"], resolver: "nohost"}
                  export: {cidr-result: "OK please", nftables-command: [nft, add]}
                """));
        String all = String.join("\n", e.errors());
        for (String key : List.of("ingest.files[0]", "ingest.poll-interval = \"2h\"",
                "ingest.max-line-length = \"10\"", "ingest.syslog.udp", "ingest.syslog.max-message-bytes = \"10\"",
                "bans.threshold = \"-1.0\"", "bans.durations[1] = \"forever\"", "bans.permanent[0] = \"300.1.2.3/24\"",
                "bans.max-ipv6-prefix = \"70\"",
                "bans.private-majority.share = \"1.5\"", "bans.scanners.suffixes[0] = \"bad suffix!\"",
                "bans.scanners.resolver = \"nohost\"", "bans.export.cidr-result = \"OK please\"",
                "bans.export.nftables-command")) {
            assertTrue(all.contains(key), "missing " + key + " in:\n" + all);
        }
        assertTrue(all.contains("\"permanent\""), "the expectation names the permanent word:\n" + all);
        assertTrue(all.contains("${element}"), all);
    }

    @Test
    void badNftablesSetsAreReportedWithKeyValueAndExpectation() {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load("t", """
                bans:
                  export:
                    nftables: {enabled: true, command: [], table: "post warden", set4: banned, set6: banned,
                               resync-interval: 1s}
                """));
        String all = String.join("\n", e.errors());
        for (String key : List.of("bans.export.nftables.command", "-f FILE",
                "bans.export.nftables.table = \"post warden\"",
                "a letter, then up to 31 letters", "bans.export.nftables.set6 = \"banned\"",
                "bans.export.nftables.resync-interval = \"1s\"")) {
            assertTrue(all.contains(key), "missing " + key + " in:\n" + all);
        }
    }

    @Test
    void aWorkingIngestAndBansSection() throws Exception {
        PostwardenConfig c = ConfigLoader.load("t", """
                ingest:
                  files: [/var/log/mail.log]
                  syslog: {enabled: true, udp: 127.0.0.1:5514, tcp: ""}
                bans:
                  durations: [10m, 1h, permanent]
                  permanent: ["2001:db8::/32"]
                  export:
                    cidr-map: /var/lib/postwarden/bans.cidr
                    reload-command: [/usr/sbin/postfix, reload]
                    nftables-command: [nft, add, element, inet, pw, "b_${family}", "{ ${element} }"]
                """);
        assertEquals(List.of("/var/log/mail.log"), c.ingest().files());
        assertEquals("", c.ingest().syslog().tcp());
        assertEquals(3, c.bans().durations().size());
    }
}
