package org.postwarden.reputation.memory;

import org.junit.jupiter.api.Test;
import org.postwarden.config.load.ConfigLoader;
import org.postwarden.model.Cidr;
import org.postwarden.model.ClientKey;
import org.postwarden.model.KeyLevel;
import org.postwarden.model.ManualTimeSource;
import org.postwarden.reputation.CounterType;
import org.postwarden.reputation.StateCodec;
import org.postwarden.reputation.StateKind;
import org.postwarden.reputation.StateTable;
import org.postwarden.reputation.StoreSettings;
import org.postwarden.rules.Rules;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** State tables and session marks in the snapshot (format 2), and a snapshot written by the code before (format 1). */
class StateTablesAndUpgradeTest {
    /** The time and config the format-1 fixture was written with (see src/test/resources/fixtures/README.md). */
    static final long FIXTURE_TIME = 1_800_000_000_000L;

    static final StateKind<long[]> COUNTS = new StateKind<>("test-counts", 1, 100, Duration.ofDays(1),
            new StateCodec<>() {
                @Override
                public void write(DataOutput out, long[] value) throws IOException {
                    out.writeLong(value[0]);
                }

                @Override
                public long[] read(DataInput in, int version) throws IOException {
                    return new long[] {in.readLong()};
                }
            });

    static StoreSettings fixtureSettings() throws Exception {
        return new Rules(ConfigLoader.load("fixture", "outbound: {floors: {recipients: 20}}\n")).storeSettings();
    }

    static byte[] snapshot(MemoryReputationStore s) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        StoreSnapshot.write(s, buf);
        return buf.toByteArray();
    }

    @Test
    void aSnapshotOfTheCodeBeforeTheLayerModulesIsRead() throws Exception {
        ManualTimeSource time = new ManualTimeSource(FIXTURE_TIME);
        MemoryReputationStore store = new MemoryReputationStore(fixtureSettings(), time);
        StoreSnapshot.Counts c;
        try (InputStream in = getClass().getResourceAsStream("/fixtures/v1-store.snapshot")) {
            c = StoreSnapshot.read(store, in);
        }
        assertEquals(1, c.format());
        assertEquals(2, c.bans());
        ClientKey host = ClientKey.of(Cidr.parseAddress("192.0.2.7"), KeyLevel.HOST, 48);
        assertEquals(12.5, store.score(host), 1e-6);
        assertEquals(4.0, store.score(ClientKey.of(Cidr.parseAddress("192.0.2.7"), KeyLevel.SUBNET, 48)), 1e-6);
        assertEquals(5, store.count(host, CounterType.CONNECTIONS, 0)[0]);
        assertTrue(store.knownUser("alice"));
        ClientKey banned = ClientKey.of(Cidr.parseAddress("198.51.100.9"), KeyLevel.HOST, 48);
        assertTrue(store.activeBan(banned).isPresent());
        assertEquals(1, store.offenses(banned), "escalation history came along");
        ClientKey v6 = ClientKey.of(Cidr.parseAddress("2001:db8:5::1"), KeyLevel.SUBNET, 48);
        assertTrue(store.activeBan(v6).orElseThrow().permanent());

        // and what is read is written again in the current format, which reads back the same
        MemoryReputationStore again = new MemoryReputationStore(fixtureSettings(), time);
        StoreSnapshot.Counts c2 = StoreSnapshot.read(again, new ByteArrayInputStream(snapshot(store)));
        assertEquals(StoreSnapshot.FORMAT_VERSION, c2.format());
        assertEquals(2, c2.bans());
        assertEquals(12.5, again.score(host), 1e-6);
    }

    @Test
    void stateTablesSurviveASnapshotAlsoBeforeTheirKindIsRegisteredAgain() throws Exception {
        ManualTimeSource time = new ManualTimeSource(ReputationStoreTest.T0);
        MemoryReputationStore first = ReputationStoreTest.store(time);
        first.table(COUNTS).getOrCreate("a", k -> new long[] {0})[0] = 41;
        first.table(COUNTS).put("b", new long[] {7});

        MemoryReputationStore second = ReputationStoreTest.store(time);
        StoreSnapshot.Counts c = StoreSnapshot.read(second, new ByteArrayInputStream(snapshot(first)));
        assertEquals(2, c.states());
        // not registered in this run: a snapshot now keeps the entries as they were read
        MemoryReputationStore third = ReputationStoreTest.store(time);
        StoreSnapshot.read(third, new ByteArrayInputStream(snapshot(second)));
        StateTable<long[]> t = third.table(COUNTS);
        assertEquals(41, t.get("a")[0]);
        assertEquals(7, t.get("b")[0]);
        assertNull(t.get("c"));
        assertSame(t, third.table(COUNTS), "one table per kind");
        assertThrows(IllegalArgumentException.class, () -> third.table(new StateKind<>("test-counts", 2, 100,
                Duration.ofDays(1), COUNTS.codec())), "a kind with the same name and another encoding");
    }

    @Test
    void aMergedSnapshotKeepsTheTableEntriesAlreadyThere() throws Exception {
        ManualTimeSource time = new ManualTimeSource(ReputationStoreTest.T0);
        MemoryReputationStore old = ReputationStoreTest.store(time);
        old.table(COUNTS).put("a", new long[] {1});
        old.table(COUNTS).put("b", new long[] {2});
        MemoryReputationStore next = ReputationStoreTest.store(time);
        next.table(COUNTS).put("a", new long[] {100});
        StoreSnapshot.read(next, new ByteArrayInputStream(snapshot(old)), true);
        assertEquals(100, next.table(COUNTS).get("a")[0], "counted in the new store meanwhile: kept");
        assertEquals(2, next.table(COUNTS).get("b")[0]);
    }

    @Test
    void sessionMarksSurviveARestartWithinTheirLifetime() throws Exception {
        ManualTimeSource time = new ManualTimeSource(ReputationStoreTest.T0);
        MemoryReputationStore first = ReputationStoreTest.store(time);
        assertTrue(first.marks().first("m|q|4ABC"));
        assertTrue(first.marks().occurrence("r|c1|bob@example.net", "policy"));
        byte[] snap = snapshot(first);

        MemoryReputationStore restarted = ReputationStoreTest.store(time);
        StoreSnapshot.Counts c = StoreSnapshot.read(restarted, new ByteArrayInputStream(snap));
        assertTrue(c.marks() >= 2);
        assertFalse(restarted.marks().first("m|q|4ABC"), "the message was counted before the restart");
        assertFalse(restarted.marks().occurrence("r|c1|bob@example.net", "milter"),
                "the milter's report of the same RCPT is no new occurrence");
        assertTrue(restarted.marks().first("m|q|4ABD"));

        // restored three hours later, past the two-hour lifetime: nothing comes back
        ManualTimeSource later = new ManualTimeSource(ReputationStoreTest.T0 + Duration.ofHours(3).toMillis());
        MemoryReputationStore late = ReputationStoreTest.store(later);
        StoreSnapshot.read(late, new ByteArrayInputStream(snap));
        assertTrue(late.marks().first("m|q|4ABC"));
    }

    @Test
    void aCorruptTableSectionIsRefusedWhole() throws Exception {
        ManualTimeSource time = new ManualTimeSource(ReputationStoreTest.T0);
        MemoryReputationStore first = ReputationStoreTest.store(time);
        first.table(COUNTS).put("a", new long[] {1});
        byte[] snap = snapshot(first);
        snap[snap.length - 12] ^= 0x40;
        MemoryReputationStore other = ReputationStoreTest.store(time);
        assertThrows(IOException.class, () -> StoreSnapshot.read(other, new ByteArrayInputStream(snap)));
        assertNull(other.table(COUNTS).get("a"));
    }
}
