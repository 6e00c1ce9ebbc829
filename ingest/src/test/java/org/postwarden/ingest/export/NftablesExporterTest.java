package org.postwarden.ingest.export;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
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
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The nftables sets and the per-ban command, driven by tick() with a manual clock and a recording runner. */
class NftablesExporterTest {
    @TempDir
    Path dir;
    final ManualTimeSource time = new ManualTimeSource(1_800_000_000_000L);
    final Recorder runner = new Recorder();
    DecisionEngine engine;
    ListAppender<ILoggingEvent> logs;
    Logger logger;

    /** Records each command and the batch file it was given; answers with {@link #exit} (or throws when -1). */
    static final class Recorder extends CommandRunner {
        final List<List<String>> calls = new ArrayList<>();
        final List<String> batches = new ArrayList<>();
        int exit;

        @Override
        public Result run(List<String> argv, Duration timeout) throws IOException {
            calls.add(List.copyOf(argv));
            int f = argv.indexOf("-f");
            if (f >= 0) {
                batches.add(Files.readString(Path.of(argv.get(f + 1))));
            }
            if (exit == -1) {
                throw new IOException("Cannot run program \"" + argv.get(0) + "\": error=2, No such file");
            }
            return new Result(exit, exit == 0 ? "" : "Error: Could not process rule: Operation not permitted", false);
        }
    }

    @BeforeEach
    void captureLogs() {
        logger = (Logger) LoggerFactory.getLogger(NftablesExporter.class);
        logs = new ListAppender<>();
        logs.start();
        logger.addAppender(logs);
        logger.setLevel(ch.qos.logback.classic.Level.INFO);
    }

    @AfterEach
    void releaseLogs() {
        logger.detachAppender(logs);
        logger.setLevel(null);
    }

    NftablesExporter exporter(String export, String extra) throws Exception {
        PostwardenConfig c = ConfigLoader.load("t", "bans:\n  permanent: [198.51.100.0/24]\n  export: " + export
                + "\n" + extra);
        Rules rules = new Rules(c);
        PostwardenMetrics metrics = new PostwardenMetrics(new SimpleMeterRegistry());
        engine = new DecisionEngine(rules, new MemoryReputationStore(rules.storeSettings(), time), metrics);
        return new NftablesExporter(engine, metrics, time, runner);
    }

    NftablesExporter sets(String extra) throws Exception {
        return exporter("{nftables: {enabled: true, command: [/usr/sbin/nft, -c], resync-interval: 10m}}", extra);
    }

    ClientKey key(String ip, KeyLevel level) {
        return ClientKey.of(Cidr.parseAddress(ip), level, 48);
    }

    /** The {@code add element} lines of a batch. */
    static List<String> elements(String batch) {
        return batch.lines().filter(l -> l.startsWith("add element")).toList();
    }

    long count(String level) {
        return logs.list.stream().filter(e -> e.getLevel().toString().equals(level)).count();
    }

    @Test
    void theSetsFollowBansUnbansAndExpiriesInOneBatchEach() throws Exception {
        NftablesExporter x = sets("");
        assertTrue(x.tick(), "written at start-up: a restart re-applies what is banned and drops what is not");
        assertEquals(List.of("/usr/sbin/nft", "-c", "-f"), runner.calls.get(0).subList(0, 3));
        assertEquals("""
                # written by postwarden: the active bans
                add table inet postwarden
                add set inet postwarden banned4 { type ipv4_addr; flags interval, timeout; }
                add set inet postwarden banned6 { type ipv6_addr; flags interval, timeout; }
                flush set inet postwarden banned4
                flush set inet postwarden banned6
                add element inet postwarden banned4 { 198.51.100.0/24 }
                """, runner.batches.get(0));
        assertFalse(x.tick(), "nothing changed");
        engine.store().ban(key("192.0.2.7", KeyLevel.HOST), Duration.ofHours(1), "tls-failure", "x");
        engine.store().ban(key("2001:db8:1:2::5", KeyLevel.SUBNET), null, "auth-failure", "y");
        time.advance(Duration.ofSeconds(1));
        assertTrue(x.tick());
        assertEquals(List.of("add element inet postwarden banned4 { 192.0.2.7 timeout 3599s, 198.51.100.0/24 }",
                "add element inet postwarden banned6 { 2001:db8:1:2::/64 }"), elements(runner.batches.get(1)));
        assertFalse(x.tick());
        assertTrue(engine.unban(Cidr.parse("2001:db8:1:2::/64")));
        assertTrue(x.tick(), "an unban is written at once");
        assertEquals(List.of("add element inet postwarden banned4 { 192.0.2.7 timeout 3599s, 198.51.100.0/24 }"),
                elements(runner.batches.get(2)));
        time.advance(Duration.ofHours(1));
        assertTrue(x.tick(), "an expiry too");
        assertEquals(List.of("add element inet postwarden banned4 { 198.51.100.0/24 }"),
                elements(runner.batches.get(3)));
        time.advance(Duration.ofMinutes(9));
        assertFalse(x.tick());
        time.advance(Duration.ofMinutes(1));
        assertTrue(x.tick(), "resync-interval: written again in case the ruleset was flushed");
        assertEquals(5, runner.calls.size());
        assertEquals(0, count("WARN"));
    }

    @Test
    void trustedOwnAndAllowlistedHostsAreCutOutAndNestedBansLeftOut() throws Exception {
        NftablesExporter x = sets("""
                networks: {trusted: [198.51.100.2/32], own-addresses: ["2001:db8:5::25"]}
                allowlist: {clients: [192.0.2.128/25]}
                """);
        engine.store().ban(key("198.51.100.77", KeyLevel.HOST), Duration.ofDays(7), "pregreet", "inside");
        engine.store().ban(key("192.0.2.9", KeyLevel.SUBNET), Duration.ofHours(1), "admin", "holds allowlisted");
        engine.store().ban(key("2001:db8:5::1", KeyLevel.SUBNET), Duration.ofHours(2), "admin", "holds own");
        assertTrue(x.tick());
        assertEquals(List.of("add element inet postwarden banned4 { 192.0.2.0/25 timeout 3600s, "
                        + "198.51.100.0/31, 198.51.100.3-198.51.100.255 }",
                "add element inet postwarden banned6 { 2001:db8:5::-2001:db8:5::24 timeout 7200s, "
                        + "2001:db8:5::26-2001:db8:5:0:ffff:ffff:ffff:ffff timeout 7200s }"),
                elements(runner.batches.get(0)),
                "the host ban inside the permanent /24 is left out (nft refuses overlapping intervals)");
    }

    @Test
    void aFailingNftIsLoggedOnceRetriedAndLoggedAgainWhenItWorks() throws Exception {
        NftablesExporter x = sets("");
        runner.exit = 1;
        assertTrue(x.tick());
        assertEquals(1, count("WARN"));
        assertTrue(logs.list.get(0).getFormattedMessage().contains("Operation not permitted"),
                logs.list.get(0).getFormattedMessage());
        assertFalse(x.tick(), "no retry before " + NftablesExporter.RETRY + " while nothing changes");
        engine.store().ban(key("192.0.2.7", KeyLevel.HOST), Duration.ofHours(1), "tls-failure", "x");
        assertTrue(x.tick(), "a change is tried at once");
        assertEquals(1, count("WARN"), "logged once");
        time.advance(NftablesExporter.RETRY);
        runner.exit = -1;
        assertTrue(x.tick(), "retried");
        assertEquals(1, count("WARN"), "a missing nft neither: the first failure was logged");
        runner.exit = 0;
        time.advance(NftablesExporter.RETRY);
        assertTrue(x.tick());
        assertEquals(1, count("INFO"), "works again");
        assertEquals(3.0, engine.metrics().registry().get("postwarden.ban.exports").tag("target", "nftables")
                .tag("result", "error").counter().count());
        assertEquals(0.0, engine.metrics().registry().get("postwarden.ban.export.failing").gauge().value());
        runner.exit = -1;
        engine.store().ban(key("192.0.2.8", KeyLevel.HOST), Duration.ofHours(1), "tls-failure", "x");
        assertTrue(x.tick());
        assertEquals(2, count("WARN"), "a new outage is logged again");
        assertEquals(1.0, engine.metrics().registry().get("postwarden.ban.export.failing").gauge().value());
    }

    @Test
    void aMissingNftNeverThrows() throws Exception {
        PostwardenConfig c = ConfigLoader.load("t", "bans: {export: {nftables: {enabled: true, command: ["
                + dir.resolve("no-such-nft") + "]}}}");
        Rules rules = new Rules(c);
        PostwardenMetrics metrics = new PostwardenMetrics(new SimpleMeterRegistry());
        engine = new DecisionEngine(rules, new MemoryReputationStore(rules.storeSettings(), time), metrics);
        NftablesExporter x = new NftablesExporter(engine, metrics, time, new CommandRunner());
        assertTrue(x.tick());
        assertEquals(1, count("WARN"));
        assertTrue(logs.list.get(0).getFormattedMessage().contains("no-such-nft"));
    }

    @Test
    void theNftablesCommandGetsEachNewBanOnceWithItsTimeout() throws Exception {
        NftablesExporter x = exporter("{nftables-command: [nft, add, element, inet, postwarden, 'banned_${family}', "
                + "'{ ${element} }']}", "");
        engine.store().ban(key("192.0.2.7", KeyLevel.HOST), Duration.ofHours(1), "pregreet", "x");
        engine.store().ban(key("2001:db8::1", KeyLevel.SUBNET), null, "pregreet", "x");
        assertFalse(x.tick(), "no sets configured");
        x.tick();
        List<String> calls = runner.calls.stream().map(c -> c.get(5) + " " + c.get(6)).sorted().toList();
        assertEquals(List.of("banned_v4 { 192.0.2.7/32 timeout 3600s }", "banned_v4 { 198.51.100.0/24 }",
                "banned_v6 { 2001:db8::/64 }"), calls);
    }

    @Test
    void theNftablesCommandNeverGetsATrustedHostOrANetworkHoldingOne() throws Exception {
        // networks.trusted: the default 127.0.0.0/8, plus 192.0.2.2; an admin bans both (ctl ban warns, and the
        // policy server and milter never refuse them), but a firewall element would drop them
        NftablesExporter x = exporter("{nftables-command: [nft, add, element, inet, postwarden, 'banned_${family}', "
                + "'{ ${element} }']}", "networks: {trusted: [127.0.0.0/8, 192.0.2.2/32]}");
        engine.store().ban(key("127.0.0.1", KeyLevel.HOST), Duration.ofHours(1), "admin", "by admin");
        engine.store().ban(key("192.0.2.9", KeyLevel.SUBNET), Duration.ofHours(1), "admin", "by admin");
        engine.store().ban(key("203.0.113.7", KeyLevel.HOST), Duration.ofHours(1), "pregreet", "x");
        x.tick();
        x.tick();
        List<String> calls = runner.calls.stream().map(c -> c.get(6)).sorted().toList();
        assertEquals(List.of("{ 198.51.100.0/24 }", "{ 203.0.113.7/32 timeout 3600s }"), calls);
        assertEquals(2, count("WARN"), "one warning per network not exported, not one per tick");
        assertTrue(logs.list.stream().anyMatch(e -> e.getFormattedMessage().contains("127.0.0.1/32")
                && e.getFormattedMessage().contains("127.0.0.0/8")), logs.list.toString());
    }

    @Test
    void expandReplacesThePlaceholders() {
        assertEquals(List.of("nft", "add", "element", "inet", "pw", "b_v6", "{ 2001:db8::/64 timeout 5s }"),
                NftablesExporter.expand(List.of("nft", "add", "element", "inet", "pw", "b_${family}",
                        "{ ${element} }"), "2001:db8::/64 timeout 5s", true));
    }
}
