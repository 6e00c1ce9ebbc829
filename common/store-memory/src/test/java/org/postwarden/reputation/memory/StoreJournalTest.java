package org.postwarden.reputation.memory;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postwarden.model.ManualTimeSource;
import org.postwarden.reputation.CounterLayout;
import org.postwarden.reputation.CounterType;
import org.postwarden.reputation.StateCodec;
import org.postwarden.reputation.StateKind;
import org.postwarden.reputation.StoreSettings;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.postwarden.reputation.memory.ReputationStoreTest.T0;
import static org.postwarden.reputation.memory.ReputationStoreTest.key;
import static org.postwarden.reputation.memory.ReputationStoreTest.store;

/**
 * The journal: what it holds survives a crash (no snapshot, no close), a torn tail is cut off and never fatal,
 * compaction keeps exactly what the snapshot does not hold; a successor store shares bans and journal.
 */
class StoreJournalTest {
    @TempDir
    Path dir;
    private final ManualTimeSource time = new ManualTimeSource(T0);

    /** A journaled kind, as the outbound suspensions are. */
    static final StateKind<String> HELD = new StateKind<>("test-held", 1, 100, Duration.ofDays(1),
            new StateCodec<>() {
                @Override
                public void write(DataOutput out, String value) throws IOException {
                    out.writeUTF(value);
                }

                @Override
                public String read(DataInput in, int version) throws IOException {
                    return in.readUTF();
                }
            }, true);

    private Path journal() {
        return dir.resolve("state.snapshot.journal");
    }

    /** A restart after a crash: a fresh store, the snapshot if there is one, then the journal. */
    private MemoryReputationStore restart(StoreJournal.Replay[] replay) throws IOException {
        MemoryReputationStore s = store(time);
        new SnapshotFile(dir.resolve("state.snapshot")).restore(s);
        StoreJournal.open(journal(), s, replay); // left open: the next "crash" abandons it as kill -9 would
        return s;
    }

    @Test
    void bansOffensesAndJournaledEntriesSurviveACrashWithoutASnapshot() throws IOException {
        MemoryReputationStore s = store(time);
        StoreJournal j = StoreJournal.open(journal(), s, null);
        s.ban(key("203.0.113.9"), Duration.ofHours(1), "score", "first");
        s.unban(key("203.0.113.9"));
        s.ban(key("203.0.113.9"), Duration.ofDays(1), "score", "second");
        s.ban(key("198.51.100.4"), null, "admin", "permanent");
        s.ban(key("192.0.2.77"), Duration.ofHours(1), "score", "lifted");
        s.unban(key("192.0.2.77"));
        s.table(HELD).getOrCreate("user:alice", k -> "suspended");
        s.table(HELD).put("user:bob", "suspended");
        s.table(HELD).remove("user:bob");
        s.table(HELD).put("user:carol", "suspended");
        j.sync();
        assertEquals(10, j.synced());

        StoreJournal.Replay[] replay = new StoreJournal.Replay[1];
        MemoryReputationStore after = restart(replay);
        assertEquals(10, replay[0].records());
        assertFalse(replay[0].torn());
        assertEquals("second", after.activeBan(key("203.0.113.9")).orElseThrow().detail());
        assertEquals(2, after.offenses(key("203.0.113.9")), "the offense history comes back with the ban");
        assertTrue(after.activeBan(key("198.51.100.4")).orElseThrow().permanent());
        assertTrue(after.activeBan(key("192.0.2.77")).isEmpty(), "an unban is journaled too");
        assertEquals(1, after.offenses(key("192.0.2.77")));
        assertEquals("suspended", after.table(HELD).get("user:alice"));
        assertNull(after.table(HELD).get("user:bob"));
        assertEquals("suspended", after.table(HELD).get("user:carol"));
        assertEquals(2, after.banCount());
    }

    @Test
    void aTornTailIsCutOffWithALogLineAndAppendsGoOnAfterTheLastGoodRecord() throws IOException {
        MemoryReputationStore s = store(time);
        StoreJournal j = StoreJournal.open(journal(), s, null);
        s.ban(key("203.0.113.1"), Duration.ofDays(1), "score", "one");
        s.ban(key("203.0.113.2"), Duration.ofDays(1), "score", "two");
        j.sync();
        long good = Files.size(journal());
        // a crash in the middle of an append: a length and half a body
        byte[] torn = {0, 0, 0, 60, 1, 2, 3, 4, 0, 0, 0, 0, 0, 0, 0, 3, 1};
        Files.write(journal(), torn, StandardOpenOption.APPEND);

        StoreJournal.Replay[] replay = new StoreJournal.Replay[1];
        MemoryReputationStore after = restart(replay);
        assertTrue(replay[0].torn());
        assertEquals(2, replay[0].records());
        assertEquals(good, Files.size(journal()), "the torn record is cut off");
        assertEquals(2, after.banCount());
        after.ban(key("203.0.113.3"), Duration.ofDays(1), "score", "three");
        after.durability().journal.sync();

        MemoryReputationStore third = restart(replay);
        assertFalse(replay[0].torn());
        assertEquals(3, third.banCount(), "a record appended after the cut reads back");
    }

    @Test
    void aFlippedByteEndsTheJournalAtTheRecordBeforeIt() throws IOException {
        MemoryReputationStore s = store(time);
        StoreJournal j = StoreJournal.open(journal(), s, null);
        s.ban(key("203.0.113.1"), Duration.ofDays(1), "score", "one");
        j.sync();
        long first = Files.size(journal());
        s.ban(key("203.0.113.2"), Duration.ofDays(1), "score", "two");
        j.sync();
        byte[] all = Files.readAllBytes(journal());
        all[all.length - 3] ^= 0x55;
        Files.write(journal(), all);

        StoreJournal.Replay[] replay = new StoreJournal.Replay[1];
        MemoryReputationStore after = restart(replay);
        assertTrue(replay[0].torn());
        assertEquals(1, after.banCount());
        assertEquals(first, Files.size(journal()));
    }

    @Test
    void aFileThatIsNoJournalIsSetAsideAndANewOneStarted() throws IOException {
        Files.writeString(journal(), "not a journal at all");
        StoreJournal.Replay[] replay = new StoreJournal.Replay[1];
        MemoryReputationStore after = restart(replay);
        assertTrue(replay[0].torn());
        assertEquals(0, after.banCount());
        try (var files = Files.list(dir)) {
            assertTrue(files.anyMatch(p -> p.getFileName().toString().startsWith("state.snapshot.journal.corrupt-")));
        }
        after.ban(key("203.0.113.3"), Duration.ofDays(1), "score", "three");
        after.durability().journal.sync();
        assertEquals(1, restart(replay).banCount());
    }

    @Test
    void compactionKeepsOnlyWhatTheSnapshotDoesNotHold() throws IOException {
        MemoryReputationStore s = store(time);
        StoreJournal j = StoreJournal.open(journal(), s, null);
        SnapshotFile snapshots = new SnapshotFile(dir.resolve("state.snapshot"));
        for (int i = 1; i <= 50; i++) {
            s.ban(key("203.0.113." + i), Duration.ofDays(1), "score", "before the snapshot");
        }
        long mark = j.mark();
        snapshots.save(s);
        // made after the mark: must stay in the journal
        s.ban(key("198.51.100.1"), Duration.ofDays(1), "score", "after the mark");
        s.table(HELD).put("user:dave", "suspended");
        long before = Files.size(journal());
        j.compact(mark);
        assertTrue(Files.size(journal()) < before / 10, "compacted: " + Files.size(journal()) + " of " + before);

        StoreJournal.Replay[] replay = new StoreJournal.Replay[1];
        MemoryReputationStore after = restart(replay);
        assertEquals(2, replay[0].records(), "only the records after the mark");
        assertEquals(51, after.banCount());
        assertEquals("suspended", after.table(HELD).get("user:dave"));
        after.ban(key("198.51.100.2"), Duration.ofDays(1), "score", "after the restart");
        after.durability().journal.sync();
        assertEquals(52, restart(replay).banCount(), "sequence numbers go on after a replay");
    }

    @Test
    void aSuccessorSharesBansTablesAndJournalAndTakesTheCountersOverByWindow() throws IOException {
        MemoryReputationStore s = store(time);
        StoreJournal.open(journal(), s, null);
        s.ban(key("203.0.113.9"), Duration.ofDays(1), "score", "before");
        s.table(HELD).put("user:alice", "suspended");
        s.count(key("192.0.2.1"), CounterType.RECIPIENTS, 4);
        s.addScore(key("192.0.2.1"), 5);
        StoreSettings old = s.settings();
        // another layout: only the 1-hour recipients window stays
        StoreSettings next = new StoreSettings(old.maxClients(), old.maxUsers(), old.idleExpiry(), old.halfLife(),
                Map.of(org.postwarden.model.KeyLevel.HOST, new CounterLayout(List.of(
                        new CounterLayout.Slot(CounterType.RECIPIENTS, 3600, 50)))), old.userLayout());
        MemoryReputationStore b = MemoryReputationStore.successor(s, next);
        assertTrue(b.activeBan(key("203.0.113.9")).isPresent(), "the ban is there before any state moved");
        assertSame(s.table(HELD).get("user:alice"), b.table(HELD).get("user:alice"));
        s.unban(key("203.0.113.9"));
        assertTrue(b.activeBan(key("203.0.113.9")).isEmpty(), "one ban table");
        b.ban(key("203.0.113.10"), Duration.ofDays(1), "score", "during");
        assertTrue(s.activeBan(key("203.0.113.10")).isPresent());
        b.count(key("192.0.2.1"), CounterType.RECIPIENTS, 1);
        s.count(key("192.0.2.1"), CounterType.RECIPIENTS, 2); // a late write of a decision on the old engine
        b.absorbCounters(s);
        assertArrayEquals(new long[] {7}, b.count(key("192.0.2.1"), CounterType.RECIPIENTS, 0));
        // a write that reaches the old store after the move counts in the new one
        assertArrayEquals(new long[] {0, 8}, s.count(key("192.0.2.1"), CounterType.RECIPIENTS, 1),
                "the old layout's 1-minute window is not kept any more; the hour is");
        assertArrayEquals(new long[] {8}, b.count(key("192.0.2.1"), CounterType.RECIPIENTS, 0));
        assertEquals(1, s.connectionOpened(key("192.0.2.1")));
        assertEquals(1, b.openConnections(key("192.0.2.1")), "one gauge of open sessions");
        assertEquals(5, b.score(key("192.0.2.1")), 1e-3);
        b.durability().journal.sync();
        MemoryReputationStore after = restart(new StoreJournal.Replay[1]);
        assertTrue(after.activeBan(key("203.0.113.10")).isPresent(), "the successor journals its bans");
        assertTrue(after.activeBan(key("203.0.113.9")).isEmpty());
    }
}
