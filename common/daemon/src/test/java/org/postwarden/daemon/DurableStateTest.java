package org.postwarden.daemon;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postwarden.config.PostwardenConfig;
import org.postwarden.config.load.ConfigLoader;
import org.postwarden.metrics.PostwardenMetrics;
import org.postwarden.model.Cidr;
import org.postwarden.model.ClientKey;
import org.postwarden.model.KeyLevel;
import org.postwarden.model.MailEvent;
import org.postwarden.model.ManualTimeSource;
import org.postwarden.model.SmtpStage;
import org.postwarden.reputation.CounterType;
import org.postwarden.reputation.ReputationStore;
import org.postwarden.reputation.memory.MemoryReputationStore;
import org.postwarden.reputation.memory.StoreJournal;
import org.postwarden.rules.Rules;
import org.postwarden.verdict.Action;
import org.postwarden.verdict.Decision;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLongArray;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 18, findings 6 and 7 in process: a reload that changes the counter layout never lets a banned client through
 * and loses no count made during it; a corrupt snapshot is kept aside, the journal's bans are loaded and the daemon
 * reports not-ready until acknowledged (or store.on-corrupt says start anyway).
 */
class DurableStateTest {
    static final int THREADS = 4;
    static final int RELOADS = 20;
    static final String LIMITS_A = "{connections: [], messages: [], recipients: [{window: 1d, max: 1000000}]}";
    /** Another layout (a messages window more): each reload between A and B moves to a new store. */
    static final String LIMITS_B = "{connections: [], messages: [{window: 1h, max: 100000}],"
            + " recipients: [{window: 1d, max: 1000000}]}";
    static final String BANNED = "203.0.113.9";

    @TempDir
    Path dir;
    /** Midday, so that no count crosses the 1-day window's edge. */
    private final ManualTimeSource time = new ManualTimeSource(1_800_000_000_000L
            - 1_800_000_000_000L % 86_400_000L + 43_200_000L);
    private Daemon daemon;

    @AfterEach
    void stop() {
        if (daemon != null) {
            daemon.close();
        }
    }

    private PostwardenConfig config(String limitsHost, String more) throws Exception {
        return ConfigLoader.load("test", """
                store: {snapshot: {path: %s, interval: 1h}%s}
                bans: {scanners: {enabled: false}}
                networks: {local-domains: [example.test]}
                limits: {host: %s, subnet: {connections: [], messages: [], recipients: []}}
                """.formatted(dir.resolve("state.snapshot"), more, limitsHost));
    }

    private Daemon start(PostwardenConfig c) throws Exception {
        daemon = Daemon.start(c, time, new PostwardenMetrics(new SimpleMeterRegistry()), List.of());
        return daemon;
    }

    private Action rcpt(String client, String to) throws Exception {
        MailEvent e = MailEvent.builder(SmtpStage.RCPT).source("policy").client(client).clientPort(4000)
                .clientName("unknown").helo("mail.sender.example").sender("a@sender.example").recipient(to).build();
        Decision d = daemon.engine().decide(e).toCompletableFuture().get(30, TimeUnit.SECONDS);
        return d.verdict().action();
    }

    private static ClientKey host(String ip) {
        return ClientKey.of(Cidr.parseAddress(ip), KeyLevel.HOST, 48);
    }

    @Test
    void aBannedClientIsRefusedByEveryRequestDuringTwentyReloadsAndNoCountIsLost() throws Exception {
        start(config(LIMITS_A, ""));
        daemon.engine().current().store().ban(host(BANNED), Duration.ofDays(1), "admin", "test ban");
        Action refused = rcpt(BANNED, "x@example.test");
        assertTrue(refused == Action.REJECT || refused == Action.DEFER, "banned: " + refused);
        ReputationStore first = daemon.engine().current().store();

        AtomicBoolean done = new AtomicBoolean();
        ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        AtomicLongArray counted = new AtomicLongArray(THREADS);
        AtomicLongArray bannedAsked = new AtomicLongArray(THREADS);
        List<Thread> load = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            int id = t;
            Thread th = new Thread(() -> {
                String client = "192.0.2." + (10 + id);
                try {
                    // bounded: stops when the reloads are done, or after this many rounds at the latest
                    for (int i = 0; i < 200_000 && !done.get(); i++) {
                        Action a = rcpt(BANNED, "r" + i + "@example.test");
                        bannedAsked.incrementAndGet(id);
                        if (a != refused && failures.size() < 20) { // the first few tell the story
                            failures.add("banned client got " + a + " in round " + i + " of thread " + id);
                        }
                        Action ok = rcpt(client, "r" + i + "@example.test");
                        if (ok != Action.PASS) {
                            failures.add(client + " got " + ok);
                        }
                        counted.incrementAndGet(id);
                    }
                } catch (Exception e) {
                    failures.add(client + ": " + e);
                }
            }, "load-" + t);
            th.start();
            load.add(th);
        }
        for (int r = 0; r < RELOADS; r++) {
            daemon.reload(config(r % 2 == 0 ? LIMITS_B : LIMITS_A, ""));
        }
        done.set(true);
        for (Thread th : load) {
            th.join(TimeUnit.SECONDS.toMillis(120));
            assertFalse(th.isAlive(), th.getName() + " still running");
        }
        assertEquals(List.of(), List.copyOf(failures));
        ReputationStore store = daemon.engine().current().store();
        assertNotSame(first, store, "the reloads moved the state to new stores");
        long total = 0;
        for (int t = 0; t < THREADS; t++) {
            assertTrue(bannedAsked.get(t) > 0);
            long[] rcpts = store.count(host("192.0.2." + (10 + t)), CounterType.RECIPIENTS, 0);
            assertEquals(counted.get(t), rcpts[0], "every recipient counted during 20 reloads is there (thread "
                    + t + ")");
            total += counted.get(t);
        }
        assertTrue(total > 0);
        assertTrue(store.activeBan(host(BANNED)).isPresent());
    }

    /** State files as a daemon killed with kill -9 leaves them: a journal with bans, no clean snapshot. */
    private void crashedState(String... bans) throws Exception {
        MemoryReputationStore s = new MemoryReputationStore(new Rules(config(LIMITS_A, "")).storeSettings(), time);
        StoreJournal j = StoreJournal.open(dir.resolve("state.snapshot.journal"), s, null);
        for (String b : bans) {
            s.ban(host(b), Duration.ofDays(1), "score", "before the crash");
        }
        j.close();
    }

    @Test
    void aCorruptSnapshotIsKeptAsideTheJournalServedAndReadinessWaitsForTheAdmin() throws Exception {
        crashedState("203.0.113.1", "203.0.113.2");
        byte[] garbage = "PWSNAP02 and then a torn write".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        Files.write(dir.resolve("state.snapshot"), garbage);
        start(config(LIMITS_A, ""));

        assertFalse(daemon.ready(), "not ready while the corrupt snapshot is not acknowledged");
        assertTrue(daemon.context().notReadyReason().orElseThrow().contains("corrupt"),
                daemon.context().notReadyReason().toString());
        ReputationStore store = daemon.engine().current().store();
        assertTrue(store.activeBan(host("203.0.113.1")).isPresent(), "the journal's bans are served");
        assertTrue(store.activeBan(host("203.0.113.2")).isPresent());
        Path aside;
        try (var files = Files.list(dir)) {
            aside = files.filter(p -> p.getFileName().toString().startsWith("state.snapshot.corrupt-")).findFirst()
                    .orElseThrow();
        }
        assertEquals(garbage.length, Files.size(aside), "kept as it was");
        daemon.snapshot();
        assertEquals(garbage.length, Files.size(aside), "a new snapshot never touches the corrupt one");

        assertTrue(daemon.acknowledgeCorrupt().isPresent());
        assertTrue(daemon.ready());
        assertTrue(daemon.context().notReadyReason().isEmpty());
        assertTrue(daemon.acknowledgeCorrupt().isEmpty(), "nothing left to acknowledge");
    }

    @Test
    void startAnywayReportsReadyWithTheJournalsBans() throws Exception {
        crashedState("203.0.113.1");
        Files.write(dir.resolve("state.snapshot"), new byte[] {1, 2, 3});
        start(config(LIMITS_A, ", on-corrupt: start-anyway"));
        assertTrue(daemon.ready());
        assertTrue(daemon.engine().current().store().activeBan(host("203.0.113.1")).isPresent());
    }

    @Test
    void aTornJournalAtStartIsNotFatal() throws Exception {
        crashedState("203.0.113.1", "203.0.113.2");
        Path journal = dir.resolve("state.snapshot.journal");
        byte[] all = Files.readAllBytes(journal);
        Files.write(journal, java.util.Arrays.copyOf(all, all.length - 5)); // the last record half-written
        start(config(LIMITS_A, ""));
        assertTrue(daemon.ready(), "a torn journal tail is ignored, not a reason to wait");
        ReputationStore store = daemon.engine().current().store();
        assertTrue(store.activeBan(host("203.0.113.1")).isPresent());
        assertFalse(store.activeBan(host("203.0.113.2")).isPresent(), "the torn record is not half-applied");
    }
}
