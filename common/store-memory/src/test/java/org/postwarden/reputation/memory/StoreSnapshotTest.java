package org.postwarden.reputation.memory;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postwarden.model.ClientKey;
import org.postwarden.model.KeyLevel;
import org.postwarden.model.ManualTimeSource;
import org.postwarden.reputation.CounterLayout;
import org.postwarden.reputation.CounterType;
import org.postwarden.reputation.StoreSettings;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.postwarden.reputation.memory.ReputationStoreTest.T0;
import static org.postwarden.reputation.memory.ReputationStoreTest.key;
import static org.postwarden.reputation.memory.ReputationStoreTest.store;

class StoreSnapshotTest {

    private static MemoryReputationStore populated(ManualTimeSource time) {
        MemoryReputationStore s = store(time);
        s.count(key("192.0.2.1"), CounterType.RECIPIENTS, 4);
        s.count(key("192.0.2.1"), CounterType.CONNECTIONS, 2);
        s.count(ClientKey.of(key("2001:db8::1").address(), KeyLevel.SUBNET, 48), CounterType.CONNECTIONS, 9);
        s.addScore(key("192.0.2.1"), 7.5);
        s.countUser("alice@example.org", CounterType.MESSAGES, 3);
        s.ban(key("203.0.113.9"), Duration.ofDays(1), "admin", "manual ban");
        return s;
    }

    @Test
    void roundTripKeepsCountersScoresAndBans() throws IOException {
        ManualTimeSource time = new ManualTimeSource(T0);
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        StoreSnapshot.Counts written = StoreSnapshot.write(populated(time), buf);
        assertEquals(2, written.clients(), "one host key and one IPv6 subnet key; bans are kept apart");

        MemoryReputationStore restored = store(time);
        StoreSnapshot.Counts read = StoreSnapshot.read(restored, new ByteArrayInputStream(buf.toByteArray()));
        assertEquals(written.clients(), read.clients());
        assertArrayEquals(new long[] {4, 4}, restored.count(key("192.0.2.1"), CounterType.RECIPIENTS, 0));
        assertArrayEquals(new long[] {2}, restored.count(key("192.0.2.1"), CounterType.CONNECTIONS, 0));
        assertEquals(7.5, restored.score(key("192.0.2.1")), 1e-6);
        assertArrayEquals(new long[] {3}, restored.userEstimates("alice@example.org"));
        assertTrue(restored.activeBan(key("203.0.113.9")).isPresent());
        assertEquals(1, restored.offenses(key("203.0.113.9")));
    }

    @Test
    void changedLayoutKeepsMatchingWindowsOnly() throws IOException {
        ManualTimeSource time = new ManualTimeSource(T0);
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        StoreSnapshot.write(populated(time), buf);
        CounterLayout other = new CounterLayout(List.of(
                new CounterLayout.Slot(CounterType.RECIPIENTS, 3600, 50),
                new CounterLayout.Slot(CounterType.MESSAGES, 600, 5)));
        MemoryReputationStore s = new MemoryReputationStore(new StoreSettings(1000, 100, Duration.ofDays(2),
                Duration.ofHours(1), Map.of(KeyLevel.HOST, other), CounterLayout.empty()), time);
        StoreSnapshot.read(s, new ByteArrayInputStream(buf.toByteArray()));
        assertArrayEquals(new long[] {4}, s.count(key("192.0.2.1"), CounterType.RECIPIENTS, 0));
        assertArrayEquals(new long[] {0}, s.count(key("192.0.2.1"), CounterType.MESSAGES, 0));
    }

    @Test
    void corruptionIsDetectedAndNothingIsApplied() throws IOException {
        ManualTimeSource time = new ManualTimeSource(T0);
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        StoreSnapshot.write(populated(time), buf);
        byte[] bytes = buf.toByteArray();
        bytes[bytes.length / 2] ^= 0x5A;
        MemoryReputationStore s = store(time);
        assertThrows(IOException.class, () -> StoreSnapshot.read(s, new ByteArrayInputStream(bytes)));
        byte[] torn = java.util.Arrays.copyOf(buf.toByteArray(), buf.size() - 3);
        assertThrows(IOException.class, () -> StoreSnapshot.read(s, new ByteArrayInputStream(torn)));
        assertEquals(0, s.clientCount(), "a corrupt snapshot restores nothing");
        assertThrows(IOException.class, () -> StoreSnapshot.read(s, new ByteArrayInputStream("garbage!".getBytes())));
    }

    @Test
    void fileIsReplacedAtomicallyAndCorruptFilesAreSetAside(@TempDir Path dir) throws IOException {
        ManualTimeSource time = new ManualTimeSource(T0);
        Path p = dir.resolve("sub/state.snapshot");
        SnapshotFile f = new SnapshotFile(p);
        f.save(populated(time));
        assertTrue(Files.exists(p));
        assertFalse(Files.exists(p.resolveSibling("state.snapshot.tmp")));
        MemoryReputationStore s = store(time);
        assertTrue(f.load(s).isPresent());
        assertEquals(7.5, s.score(key("192.0.2.1")), 1e-6);

        Files.write(p, new byte[] {1, 2, 3});
        MemoryReputationStore clean = store(time);
        assertTrue(f.load(clean).isEmpty());
        assertFalse(Files.exists(p), "corrupt file moved aside");
        try (var files = Files.list(p.getParent())) {
            assertTrue(files.anyMatch(x -> x.getFileName().toString().startsWith("state.snapshot.corrupt-")));
        }
        assertEquals(0, clean.clientCount());
        assertTrue(f.load(clean).isEmpty(), "no file: start empty");
    }

    @Test
    void mergeAddsToStateAlreadyCounted() throws IOException {
        ManualTimeSource time = new ManualTimeSource(T0);
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        StoreSnapshot.write(populated(time), buf);
        MemoryReputationStore fresh = store(time);
        fresh.count(key("192.0.2.1"), CounterType.RECIPIENTS, 2);
        fresh.addScore(key("192.0.2.1"), 1.0);
        fresh.ban(key("203.0.113.9"), Duration.ofHours(5), "admin", "newer ban");
        StoreSnapshot.read(fresh, new ByteArrayInputStream(buf.toByteArray()), true);
        assertArrayEquals(new long[] {6, 6}, fresh.count(key("192.0.2.1"), CounterType.RECIPIENTS, 0));
        assertEquals(8.5, fresh.score(key("192.0.2.1")), 1e-3);
        assertEquals("newer ban", fresh.activeBan(key("203.0.113.9")).orElseThrow().detail(), "existing ban kept");
        assertArrayEquals(new long[] {3}, fresh.userEstimates("alice@example.org"));
    }
}
