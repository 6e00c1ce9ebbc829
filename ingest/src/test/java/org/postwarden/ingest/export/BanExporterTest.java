package org.postwarden.ingest.export;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postwarden.config.PostwardenConfig;
import org.postwarden.config.load.ConfigLoader;
import org.postwarden.engine.DecisionEngine;
import org.postwarden.metrics.PostwardenMetrics;
import org.postwarden.model.Cidr;
import org.postwarden.model.ClientKey;
import org.postwarden.model.KeyLevel;
import org.postwarden.model.ManualTimeSource;
import org.postwarden.reputation.memory.MemoryReputationStore;
import org.postwarden.rules.Rules;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The cidr map and the commands, driven by tick() with a manual clock. */
class BanExporterTest {
    @TempDir
    Path dir;
    final ManualTimeSource time = new ManualTimeSource(1_800_000_000_000L);
    DecisionEngine engine;

    BanExporter exporter(String export) throws Exception {
        return exporter(export, "");
    }

    BanExporter exporter(String export, String extra) throws Exception {
        PostwardenConfig c = ConfigLoader.load("t", "bans:\n  permanent: [198.51.100.0/24]\n  export: " + export
                + "\n" + extra);
        Rules rules = new Rules(c);
        PostwardenMetrics metrics = new PostwardenMetrics(new SimpleMeterRegistry());
        engine = new DecisionEngine(rules, new MemoryReputationStore(rules.storeSettings(), time), metrics);
        return new BanExporter(engine, metrics, time, new CommandRunner());
    }

    ClientKey key(String ip, KeyLevel level) {
        return ClientKey.of(Cidr.parseAddress(ip), level, 48);
    }

    List<String> entries(Path map) throws Exception {
        return Files.readAllLines(map).stream().filter(l -> !l.startsWith("#")).toList();
    }

    @Test
    void theMapFollowsBansAndExpiriesAndRunsTheReloadCommand() throws Exception {
        Path map = dir.resolve("sub/bans.cidr");
        Path reloads = dir.resolve("reloads");
        BanExporter x = exporter("{cidr-map: " + map + ", min-interval: 5s, reload-command: [/bin/sh, -c, 'echo r >> "
                + reloads + "']}");
        assertTrue(x.tick(), "written at start (even with no bans: stale files are replaced)");
        assertEquals(List.of("198.51.100.0/24 REJECT banned by postwarden"), entries(map));
        engine.store().ban(key("192.0.2.7", KeyLevel.HOST), Duration.ofSeconds(30), "pregreet", "x");
        engine.store().ban(key("2001:db8:1:2::5", KeyLevel.SUBNET), null, "auth-failure", "y");
        assertFalse(x.tick(), "within min-interval: batched");
        time.advance(Duration.ofSeconds(5));
        assertTrue(x.tick());
        assertEquals(List.of("192.0.2.7/32 REJECT banned by postwarden",
                "198.51.100.0/24 REJECT banned by postwarden",
                "2001:db8:1:2::/64 REJECT banned by postwarden"), entries(map));
        assertFalse(x.tick(), "unchanged: not rewritten");
        time.advance(Duration.ofSeconds(31));
        assertTrue(x.tick(), "an expiry rewrites the map");
        assertFalse(Files.readString(map).contains("192.0.2.7"));
        assertEquals(3, Files.readAllLines(reloads).size(), "reload after each write");
        try (var s = Files.list(map.getParent())) {
            assertEquals(List.of(map), s.toList(), "no temporary file left behind");
        }
    }

    @Test
    void ourOwnAndTrustedHostsInsideBannedNetworksComeFirstAsDunno() throws Exception {
        Path map = dir.resolve("bans.cidr");
        BanExporter x = exporter("{cidr-map: " + map + ", min-interval: 0s}", """
                networks: {trusted: [198.51.100.2/32, 10.0.0.0/8], own-addresses: [203.0.113.25]}
                allowlist: {clients: [192.0.2.128/25]}
                """);
        assertTrue(x.tick());
        assertEquals(List.of("198.51.100.2/32 DUNNO", "198.51.100.0/24 REJECT banned by postwarden"), entries(map),
                "only what lies in a banned network");
        engine.store().ban(key("192.0.2.7", KeyLevel.SUBNET), Duration.ofHours(1), "admin", "x");
        engine.store().ban(key("203.0.113.25", KeyLevel.SUBNET), Duration.ofHours(1), "admin", "x");
        assertTrue(x.tick());
        assertEquals(List.of("192.0.2.128/25 DUNNO", "198.51.100.2/32 DUNNO", "203.0.113.25/32 DUNNO",
                "192.0.2.0/24 REJECT banned by postwarden", "198.51.100.0/24 REJECT banned by postwarden",
                "203.0.113.0/24 REJECT banned by postwarden"), entries(map));
    }

    @Test
    void aFailingCommandIsLoggedAndCountedNotFatal() throws Exception {
        Path map = dir.resolve("bans.cidr");
        BanExporter x = exporter("{cidr-map: " + map + ", reload-command: [/bin/false], command-timeout: 1s}");
        assertTrue(x.tick());
        assertTrue(Files.exists(map));
        assertEquals(1.0, engine.metrics().registry().get("postwarden.ban.exports").tag("target", "reload")
                .tag("result", "error").counter().count());
    }
}
