package org.postwarden.daemon;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postwarden.api.Suspensions;
import org.postwarden.config.PostwardenConfig;
import org.postwarden.config.load.ConfigLoader;
import org.postwarden.metrics.PostwardenMetrics;
import org.postwarden.model.MailEvent;
import org.postwarden.model.ManualTimeSource;
import org.postwarden.model.SmtpStage;
import org.postwarden.outbound.AlertSink;
import org.postwarden.outbound.OutboundGuard;
import org.postwarden.outbound.OutboundSnapshot;
import org.postwarden.reputation.ReputationStore;
import org.postwarden.reputation.memory.MemoryReputationStore;
import org.postwarden.reputation.memory.SnapshotFile;
import org.postwarden.rules.Rules;
import org.postwarden.verdict.Decision;
import org.postwarden.verdict.Verdict;
import org.slf4j.LoggerFactory;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The outbound state's move into the store: the guard's state file of the release before (the fixture
 * {@code fixtures/v1-outbound.state}, see fixtures/README.md) is imported once at start and then lives in the store
 * snapshot; a reload that needs a new store takes the outbound state along.
 */
class OutboundStateUpgradeTest {
    /** The time and config the fixture was written with. */
    private static final long FIXTURE_TIME = 1_800_000_000_000L;
    private static final String FIXTURE_CONFIG = "outbound: {floors: {recipients: 20}, state-path: %s}\n";

    @TempDir
    Path dir;

    private final ManualTimeSource time = new ManualTimeSource(FIXTURE_TIME);
    private final ListAppender<ILoggingEvent> log = new ListAppender<>();
    private final ch.qos.logback.classic.Logger upgradeLog =
            (ch.qos.logback.classic.Logger) LoggerFactory.getLogger(OutboundSnapshot.class);
    private Daemon daemon;

    @BeforeEach
    void listen() {
        log.start();
        upgradeLog.addAppender(log);
        upgradeLog.setLevel(Level.INFO);
    }

    @AfterEach
    void stop() {
        if (daemon != null) {
            daemon.close();
        }
        upgradeLog.detachAppender(log);
        upgradeLog.setLevel(null);
    }

    private PostwardenConfig config(String more) throws Exception {
        return ConfigLoader.load("test", """
                store: {snapshot: {path: %s, interval: 1h}}
                bans: {scanners: {enabled: false}}
                networks: {local-domains: [example.test]}
                limits: {host: {recipients: []}, subnet: {recipients: []}}
                """.formatted(dir.resolve("state.snapshot")) + more);
    }

    private Daemon start(PostwardenConfig config) throws Exception {
        daemon = Daemon.start(config, time, new PostwardenMetrics(new SimpleMeterRegistry()), List.of());
        return daemon;
    }

    private void restart(PostwardenConfig config) throws Exception {
        daemon.close();
        daemon = null;
        start(config);
    }

    private Path fixture() throws Exception {
        Path file = dir.resolve("outbound.state");
        try (InputStream in = getClass().getResourceAsStream("/fixtures/v1-outbound.state")) {
            Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
        }
        return file;
    }

    private List<String> upgradeLines() {
        return log.list.stream().map(ILoggingEvent::getFormattedMessage).filter(m -> m.startsWith("imported"))
                .toList();
    }

    private static MailEvent rcpt(String user, String client, String to, String instance) {
        return MailEvent.builder(SmtpStage.RCPT).source("policy").client(client).sasl(user)
                .sender(user + "@example.org").recipient(to).instance(instance).build();
    }

    /** What the fixture holds, as the guard sees it: ivan's profile and judy's suspension. */
    private static void assertFixtureState(OutboundGuard guard) {
        Map<String, double[]> ivan = guard.explain("user:ivan").orElseThrow();
        assertEquals(3.0, ivan.get("messages")[0], 1e-9, "3 messages in the hour");
        assertEquals(6.0, ivan.get("recipients")[0], 1e-9, "to 2 recipients each");
        Suspensions.Suspension judy = guard.suspensions().of("judy").orElseThrow();
        assertEquals("user:judy", judy.subject());
        assertEquals("recipients", judy.reason());
        assertEquals(1, judy.heldMessages());
        assertTrue(judy.detail().contains("21 recipients in the last hour, threshold 20"), judy.detail());
        assertEquals(1, guard.suspensions().list().size());
        assertEquals(21.0, guard.explain("user:judy").orElseThrow().get("recipients")[0], 1e-9,
                "judy's profile: 21 RCPTs counted, the later ones held without counting");
        assertEquals(2, guard.profileCount());
    }

    @Test
    void theOldStateFileIsImportedOnceAndThenLivesInTheStoreSnapshot() throws Exception {
        Path file = fixture();
        PostwardenConfig config = config(FIXTURE_CONFIG.formatted(file));
        start(config);
        assertFixtureState(daemon.outbound());
        assertFalse(Files.exists(file), "renamed once imported");
        assertTrue(Files.exists(dir.resolve("outbound.state.imported")));
        assertTrue(Files.exists(dir.resolve("state.snapshot")), "a store snapshot is written at the import");
        assertEquals(1, upgradeLines().size(), log.list.toString());
        assertTrue(upgradeLines().get(0).contains("(2 sender profiles, 1 suspensions)")
                && upgradeLines().get(0).contains("store.snapshot.path"), upgradeLines().get(0));

        // the store snapshot alone brings it back: no file to import any more
        restart(config);
        assertFixtureState(daemon.outbound());
        assertEquals(1, upgradeLines().size(), "imported only once");
        Decision d = daemon.engine().current().decideNow(rcpt("judy", "192.0.2.3", "friend@example.net", "j2"));
        assertInstanceOf(Verdict.Hold.class, d.verdict(), "judy is still suspended: " + d);

        // and so does a store snapshot read into a new store
        MemoryReputationStore store = new MemoryReputationStore(new Rules(config).storeSettings(), time);
        new SnapshotFile(dir.resolve("state.snapshot")).load(store).orElseThrow();
        OutboundGuard guard = new OutboundGuard(new Rules(config), store,
                new PostwardenMetrics(new SimpleMeterRegistry()), AlertSink.NONE, null);
        assertFixtureState(guard);
    }

    @Test
    void anUnreadableStateFileIsMovedAsideAndNothingIsImported() throws Exception {
        Path file = fixture();
        Rules r = new Rules(config(FIXTURE_CONFIG.formatted(file)));
        OutboundSnapshot snapshot = new OutboundSnapshot(file);
        int[] persisted = {0};
        assertEquals(new OutboundSnapshot.Counts(2, 1), snapshot.upgrade(guard(r), () -> persisted[0]++)
                .orElseThrow(), "a good file loads");
        assertEquals(1, persisted[0], "and the store is persisted before the file is renamed");

        Files.write(file, new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9});
        OutboundGuard fresh = guard(r);
        assertTrue(snapshot.upgrade(fresh, () -> persisted[0]++).isEmpty());
        assertEquals(1, persisted[0]);
        assertEquals(0, fresh.profileCount());
        assertFalse(Files.exists(file));
        try (var aside = Files.list(dir)) {
            assertTrue(aside.anyMatch(p -> p.getFileName().toString().startsWith("outbound.state.corrupt-")));
        }
        assertTrue(snapshot.upgrade(guard(r), () -> persisted[0]++).isEmpty(), "no file: nothing to restore");
    }

    @Test
    void whatTheStoreAlreadyHoldsWinsOverTheImportedFile() throws Exception {
        Path file = fixture();
        Rules r = new Rules(config(FIXTURE_CONFIG.formatted(file)));
        OutboundGuard guard = guard(r);
        time.advance(java.time.Duration.ofHours(1));
        for (int i = 0; i < 25; i++) {
            guard.observe(rcpt("judy", "192.0.2.9", "t" + i + "@example.net", "again"), r, guard.currentStore(), true,
                    false, false, false, false);
        }
        assertEquals(new OutboundSnapshot.Counts(1, 0), new OutboundSnapshot(file).upgrade(guard, () -> { })
                .orElseThrow(), "ivan's profile imported; judy's profile and suspension were already there");
        assertEquals(FIXTURE_TIME + 3_600_000L, guard.suspensions().of("judy").orElseThrow().sinceMillis(),
                "the suspension of this run, not the file's");
    }

    @Test
    void aReloadThatChangesTheProfileBoundsMovesTheOutboundStateToANewStore() throws Exception {
        PostwardenConfig first = config("outbound: {floors: {recipients: 1}, max-profiles: 1000, state-path: \"\"}\n");
        start(first);
        ReputationStore before = daemon.engine().current().store();
        daemon.engine().current().decideNow(rcpt("kai", "192.0.2.5", "a@example.net", "k1"));
        daemon.engine().current().decideNow(rcpt("kai", "192.0.2.5", "b@example.net", "k1"));
        assertTrue(daemon.outbound().suspensions().of("kai").isPresent());

        // thresholds only: the same store
        daemon.reload(config("outbound: {floors: {recipients: 2}, max-profiles: 1000, state-path: \"\"}\n"));
        assertSame(before, daemon.engine().current().store());
        assertSame(before, daemon.outbound().currentStore());

        // another profile capacity: a new store, and the guard's tables went along
        daemon.reload(config("outbound: {floors: {recipients: 2}, max-profiles: 2000, state-path: \"\"}\n"));
        ReputationStore after = daemon.engine().current().store();
        assertNotSame(before, after);
        assertSame(after, daemon.outbound().currentStore(), "calls without an engine use the new store");
        assertTrue(daemon.outbound().suspensions().of("kai").isPresent());
        assertTrue(daemon.outbound().explain("user:kai").isPresent(), "the profile came along");
        Decision d = daemon.engine().current().decideNow(rcpt("kai", "192.0.2.5", "c@example.net", "k2"));
        assertInstanceOf(Verdict.Hold.class, d.verdict(), "still suspended in the new store: " + d);
        assertEquals(2, daemon.outbound().suspensions().of("kai").orElseThrow().heldMessages(),
                "the message after the reload is counted as held too");
    }

    private OutboundGuard guard(Rules r) {
        return new OutboundGuard(r, new MemoryReputationStore(r.storeSettings(), time),
                new PostwardenMetrics(new SimpleMeterRegistry()), AlertSink.NONE, null);
    }
}
