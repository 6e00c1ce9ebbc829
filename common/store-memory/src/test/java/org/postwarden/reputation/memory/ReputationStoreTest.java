package org.postwarden.reputation.memory;

import org.junit.jupiter.api.Test;
import org.postwarden.model.Cidr;
import org.postwarden.model.ClientKey;
import org.postwarden.model.KeyLevel;
import org.postwarden.model.ManualTimeSource;
import org.postwarden.reputation.Ban;
import org.postwarden.reputation.CounterLayout;
import org.postwarden.reputation.CounterType;
import org.postwarden.reputation.SessionMarks;
import org.postwarden.reputation.StoreSettings;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReputationStoreTest {
    static final long T0 = 1_800_000_000_000L - (1_800_000_000_000L % 3_600_000L); // aligned to an hour

    static MemoryReputationStore store(ManualTimeSource time) {
        CounterLayout host = new CounterLayout(List.of(
                new CounterLayout.Slot(CounterType.CONNECTIONS, 60, 10),
                new CounterLayout.Slot(CounterType.RECIPIENTS, 60, 5),
                new CounterLayout.Slot(CounterType.RECIPIENTS, 3600, 50)));
        CounterLayout user = new CounterLayout(List.of(new CounterLayout.Slot(CounterType.MESSAGES, 3600, 3)));
        return new MemoryReputationStore(new StoreSettings(10_000, 1000, Duration.ofDays(2), Duration.ofHours(1),
                Map.of(KeyLevel.HOST, host, KeyLevel.SUBNET, host), user), time);
    }

    static ClientKey key(String ip) {
        return ClientKey.of(Cidr.parseAddress(ip), KeyLevel.HOST, 48);
    }

    @Test
    void slidingWindowCountsAndForgets() {
        ManualTimeSource time = new ManualTimeSource(T0);
        MemoryReputationStore s = store(time);
        ClientKey k = key("192.0.2.1");
        for (int i = 0; i < 4; i++) {
            s.count(k, CounterType.RECIPIENTS, 1);
        }
        assertArrayEquals(new long[] {5, 5}, s.count(k, CounterType.RECIPIENTS, 1));
        // half-way into the next minute bucket, half of the previous minute still counts
        time.advance(Duration.ofSeconds(90));
        assertArrayEquals(new long[] {2, 5}, s.count(k, CounterType.RECIPIENTS, 0));
        time.advance(Duration.ofSeconds(60));
        assertArrayEquals(new long[] {0, 5}, s.count(k, CounterType.RECIPIENTS, 0));
        time.advance(Duration.ofHours(2));
        assertArrayEquals(new long[] {0, 0}, s.count(k, CounterType.RECIPIENTS, 0));
    }

    @Test
    void keysAreIndependent() {
        ManualTimeSource time = new ManualTimeSource(T0);
        MemoryReputationStore s = store(time);
        s.count(key("192.0.2.1"), CounterType.CONNECTIONS, 7);
        assertArrayEquals(new long[] {7}, s.count(key("192.0.2.1"), CounterType.CONNECTIONS, 0));
        assertArrayEquals(new long[] {0}, s.count(key("192.0.2.2"), CounterType.CONNECTIONS, 0));
        assertEquals(1, s.clientCount(), "reading an unknown key creates nothing");
        assertArrayEquals(new long[0], s.count(key("192.0.2.1"), CounterType.MESSAGES, 1), "no windows, no count");
    }

    @Test
    void userCounters() {
        MemoryReputationStore s = store(new ManualTimeSource(T0));
        s.countUser("alice", CounterType.MESSAGES, 2);
        assertArrayEquals(new long[] {3}, s.countUser("alice", CounterType.MESSAGES, 1));
        assertArrayEquals(new long[] {0}, s.countUser("bob", CounterType.MESSAGES, 0));
        assertArrayEquals(new long[] {3}, s.userEstimates("alice"));
    }

    @Test
    void scoresDecayWithHalfLife() {
        ManualTimeSource time = new ManualTimeSource(T0);
        MemoryReputationStore s = store(time);
        ClientKey k = key("192.0.2.9");
        assertEquals(8.0, s.addScore(k, 8.0), 1e-6);
        time.advance(Duration.ofHours(1));
        assertEquals(4.0, s.score(k), 1e-3);
        assertEquals(6.0, s.addScore(k, 2.0), 1e-3);
        time.advance(Duration.ofHours(2));
        assertEquals(1.5, s.score(k), 1e-3);
        assertEquals(0.0, s.score(key("192.0.2.10")));
    }

    @Test
    void bansExpireAndEscalationRemembersOffenses() {
        ManualTimeSource time = new ManualTimeSource(T0);
        MemoryReputationStore s = store(time);
        ClientKey k = key("203.0.113.5");
        Ban b = s.ban(k, Duration.ofHours(1), "score", "test");
        assertEquals(1, b.offense());
        assertTrue(s.activeBan(k).isPresent());
        time.advance(Duration.ofMinutes(61));
        assertFalse(s.activeBan(k).isPresent());
        assertEquals(1, s.offenses(k));
        Ban again = s.ban(k, null, "score", "again");
        assertEquals(2, again.offense());
        assertTrue(again.permanent());
        time.advance(Duration.ofDays(3650));
        assertTrue(s.activeBan(k).isPresent());
        assertTrue(s.unban(k));
        assertFalse(s.activeBan(k).isPresent());
    }

    @Test
    void sessionMarksCountOnce() {
        ManualTimeSource time = new ManualTimeSource(T0);
        SessionMarks m = new MemorySessionMarks(100, Duration.ofMinutes(10), time);
        assertTrue(m.first("c|1.2.3.4#5"));
        assertFalse(m.first("c|1.2.3.4#5"));
        time.advance(Duration.ofMinutes(11));
        assertTrue(m.first("c|1.2.3.4#5"), "marks expire");
    }

    @Test
    void occurrencesPairSightingsAcrossSources() {
        SessionMarks m = new MemorySessionMarks(100, Duration.ofMinutes(10), new ManualTimeSource(T0));
        // policy and milter both report the same two occurrences, interleaved: two occurrences
        assertTrue(m.occurrence("r|a", "policy"));
        assertFalse(m.occurrence("r|a", "milter"));
        assertTrue(m.occurrence("r|a", "policy"));
        // a third and fourth source only add when they have seen more than any other
        assertFalse(m.occurrence("r|a", "log"));
        assertFalse(m.occurrence("r|a", "log"));
        assertTrue(m.occurrence("r|a", "log"));
        assertFalse(m.occurrence("r|a", "test"));
        // other keys are independent, also ones that differ in one character
        assertTrue(m.occurrence("r|b", "milter"));
        assertTrue(m.first("q|ABC"));
        assertTrue(m.first("q|ABD"));
        assertTrue(m.marked("q|ABC"));
        assertFalse(m.marked("q|ABE"));
        // distinct keys get distinct hashes (a sample of similar keys)
        java.util.Set<Long> hashes = new java.util.HashSet<>();
        for (int i = 0; i < 100_000; i++) {
            hashes.add(MemorySessionMarks.hash("r|192.0.2." + (i % 256) + "#" + i + "|user" + i + "@example.org"));
        }
        assertEquals(100_000, hashes.size());
    }

    @Test
    void marksLiveAtLeastHalfTheirTimeToLiveAndAtMostAllOfIt() {
        ManualTimeSource time = new ManualTimeSource(T0);
        SessionMarks m = new MemorySessionMarks(1_000_000, Duration.ofMinutes(60), time);
        assertTrue(m.first("a"));
        time.advance(Duration.ofMinutes(29));
        assertTrue(m.marked("a"));
        time.advance(Duration.ofMinutes(2));   // 31 min: the generation holding "a" becomes the old one
        assertTrue(m.marked("a"));
        assertTrue(m.first("b"));
        time.advance(Duration.ofMinutes(29));  // 60 min: "a" is dropped with its generation; "b" (29 min) stays
        assertTrue(m.marked("b"));
        assertFalse(m.marked("a"));
        time.advance(Duration.ofMinutes(61));
        assertFalse(m.marked("b"), "nothing outlives the time-to-live");
    }

    @Test
    void aFullTableDropsItsOldestMarksAndKeepsWorking() {
        ManualTimeSource time = new ManualTimeSource(T0);
        SessionMarks m = new MemorySessionMarks(64 * 2 * 100, Duration.ofHours(2), time);
        for (int i = 0; i < 100_000; i++) {
            assertTrue(m.first("k" + i), "a new key is new");
            assertFalse(m.first("k" + i), "and then marked");
            if (i >= 10) {
                assertTrue(m.marked("k" + (i - 10)), "recent keys are still there");
            }
        }
        assertTrue(m.size() <= 64 * 2 * 100 + 64 * 2, "bounded: " + m.size());
        assertFalse(m.marked("k0"), "the oldest were dropped");
        for (int i = 0; i < 50_000; i++) {
            m.occurrence("t" + i, "policy");
        }
        assertTrue(m.occurrence("t49999", "policy"), "a tally survives its stripe's rotations");
        assertFalse(m.occurrence("t49999", "milter"));
        assertFalse(m.occurrence("t49999", "milter"));
        assertTrue(m.occurrence("t49999", "milter"));
    }

    @Test
    void storeIsBounded() {
        ManualTimeSource time = new ManualTimeSource(T0);
        CounterLayout host = new CounterLayout(List.of(new CounterLayout.Slot(CounterType.CONNECTIONS, 60, 10)));
        MemoryReputationStore s = new MemoryReputationStore(new StoreSettings(1000, 100, Duration.ofDays(1),
                Duration.ofHours(1), Map.of(KeyLevel.HOST, host), CounterLayout.empty()), time);
        for (int i = 0; i < 5000; i++) {
            s.count(ClientKey.of(Cidr.parseAddress("10.0." + (i / 256) + "." + (i % 256)), KeyLevel.HOST, 48),
                    CounterType.CONNECTIONS, 1);
        }
        s.cleanUp();
        assertTrue(s.clientCount() <= 1000, "size " + s.clientCount());
    }
}
