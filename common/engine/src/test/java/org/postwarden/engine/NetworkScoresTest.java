package org.postwarden.engine;

import org.junit.jupiter.api.Test;
import org.postwarden.config.load.ConfigLoader;
import org.postwarden.model.Cidr;
import org.postwarden.model.ClientKey;
import org.postwarden.model.KeyLevel;
import org.postwarden.model.ManualTimeSource;
import org.postwarden.reputation.memory.MemoryReputationStore;
import org.postwarden.reputation.memory.StoreSnapshot;
import org.postwarden.rules.Rules;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The members' capped shares of a network's score, their decay, their bound and their encodings. */
class NetworkScoresTest {
    static final long T0 = 1_800_000_000_000L;
    static final double HOUR = Duration.ofHours(1).toMillis();

    @Test
    void aMembersShareIsCappedAndNeverNegative() {
        NetworkScores.Crowd c = new NetworkScores.Crowd();
        assertEquals(8.0, c.add(1, 8, T0, HOUR, 20), 1e-6);
        assertEquals(8.0, c.add(1, 8, T0, HOUR, 20), 1e-6);
        assertEquals(4.0, c.add(1, 8, T0, HOUR, 20), 1e-6, "only what is left up to the cap");
        assertEquals(0.0, c.add(1, 8, T0, HOUR, 20), 1e-6);
        assertEquals(-20.0, c.add(1, -50, T0, HOUR, 20), 1e-6, "a negative weight takes back its own share only");
        assertEquals(0.0, c.add(2, -5, T0, HOUR, 20), 1e-6, "a new member cannot start below zero");
        assertEquals(0, c.contributors(T0, HOUR));
    }

    @Test
    void sharesDecayWithTheHalfLifeAndStopCountingBelowTheMinimum() {
        NetworkScores.Crowd c = new NetworkScores.Crowd();
        c.add(1, 1, T0, HOUR, 20);
        c.add(2, 16, T0, HOUR, 20);
        assertEquals(2, c.contributors(T0, HOUR));
        long later = T0 + 4 * (long) HOUR;
        assertEquals(1, c.contributors(later, HOUR), "1 point after four half-lives is below 0.1");
        assertEquals(19.0, c.add(2, 20, later, HOUR, 20), 1e-5, "its share had decayed to 1: room for 19");
    }

    @Test
    void aFullNetworkReplacesItsSmallestMember() {
        NetworkScores.Crowd c = new NetworkScores.Crowd();
        for (int i = 0; i < NetworkScores.MAX_MEMBERS; i++) {
            c.add(i, i == 7 ? 0.5 : 5, T0, HOUR, 20);
        }
        assertEquals(NetworkScores.MAX_MEMBERS, c.contributors(T0, HOUR));
        assertEquals(5.0, c.add(1000, 5, T0, HOUR, 20), 1e-6);
        assertEquals(NetworkScores.MAX_MEMBERS, c.contributors(T0, HOUR));
        assertEquals(5.0, c.add(7, 5, T0, HOUR, 20), 1e-6, "member 7 (the smallest) was replaced: it starts over");
    }

    @Test
    void theEncodingKeepsSharesAndTheFirstEncodingIsReadAsEmpty() throws Exception {
        NetworkScores.Crowd c = new NetworkScores.Crowd();
        for (int i = 0; i < 5; i++) {
            c.add(100 + i, 3 + i, T0, HOUR, 20);
        }
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        NetworkScores.CROWDS.codec().write(new DataOutputStream(buf), c);
        NetworkScores.Crowd back = NetworkScores.CROWDS.codec().read(
                new DataInputStream(new ByteArrayInputStream(buf.toByteArray())), 2);
        assertEquals(5, back.contributors(T0, HOUR));
        assertEquals(13.0, back.add(104, 20, T0, HOUR, 20), 1e-6, "member 104 had 7");
        // encoding 1 (before the crowd rule): the addresses of contributing hosts, no shares
        ByteArrayOutputStream v1 = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(v1);
        out.writeByte(2);
        for (String a : new String[] {"192.0.2.1", "192.0.2.2"}) {
            SignalState.writeAddress(out, Cidr.parseAddress(a));
        }
        NetworkScores.Crowd old = NetworkScores.CROWDS.codec().read(
                new DataInputStream(new ByteArrayInputStream(v1.toByteArray())), 1);
        assertEquals(0, old.contributors(T0, HOUR), "an upgraded network waits for fresh contributors");
    }

    @Test
    void sharesAndHistoriesSurviveASnapshot() throws Exception {
        ManualTimeSource time = new ManualTimeSource(T0);
        Rules rules = new Rules(ConfigLoader.load("test", ""));
        MemoryReputationStore store = new MemoryReputationStore(rules.storeSettings(), time);
        ClientKey host = ClientKey.of(Cidr.parseAddress("192.0.2.9"), KeyLevel.HOST, 48);
        ClientKey subnet = ClientKey.of(host.address(), KeyLevel.SUBNET, 48);
        NetworkScores.add(store, rules, NetworkScores.levels(host.address(), rules), 30);
        for (int i = 0; i < 5; i++) {
            NetworkScores.accepted(store, host);
        }
        assertEquals(20.0, store.score(subnet), 1e-4, "capped at bans.threshold (20)");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        StoreSnapshot.write(store, out);
        MemoryReputationStore fresh = new MemoryReputationStore(rules.storeSettings(), time);
        StoreSnapshot.read(fresh, new ByteArrayInputStream(out.toByteArray()));
        assertEquals(1, NetworkScores.contributors(fresh, subnet));
        NetworkScores.HistoryView h = NetworkScores.history(fresh, rules, host);
        assertEquals(5, h.acceptedMessages());
        assertTrue(h.lastOwnScoreAtTagMillis() > 0, "30 points: its own score was at the tag threshold");
        assertFalse(h.clean());
    }

    @Test
    void ipv6TierScoresAndCrowdsSurviveASnapshot() throws Exception {
        ManualTimeSource time = new ManualTimeSource(T0);
        Rules rules = new Rules(ConfigLoader.load("test", ""));
        MemoryReputationStore store = new MemoryReputationStore(rules.storeSettings(), time);
        for (int i = 1; i <= 3; i++) {
            NetworkScores.add(store, rules, NetworkScores.levels(Cidr.parseAddress("2001:db8:9:" + i + "::1"), rules),
                    8);
        }
        ClientKey slash56 = ClientKey.of(Cidr.parseAddress("2001:db8:9::"), KeyLevel.WIDE, 56);
        ClientKey slash48 = ClientKey.of(Cidr.parseAddress("2001:db8:9::"), KeyLevel.WIDE, 48);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        StoreSnapshot.write(store, out);
        MemoryReputationStore fresh = new MemoryReputationStore(rules.storeSettings(), time);
        StoreSnapshot.read(fresh, new ByteArrayInputStream(out.toByteArray()));
        assertEquals(24.0, fresh.score(slash56), 1e-4);
        assertEquals(3, NetworkScores.contributors(fresh, slash56), "three /64s");
        assertEquals(20.0, fresh.score(slash48), 1e-4, "one /56, capped");
        assertEquals(1, NetworkScores.contributors(fresh, slash48));
    }

    @Test
    void tableKeysWrittenInTheLongFormAreReadCanonically() throws Exception {
        // a snapshot of a version that printed IPv6 the Java way: "2001:db8:9:0:0:0:0:0/56"
        ManualTimeSource time = new ManualTimeSource(T0);
        Rules rules = new Rules(ConfigLoader.load("test", ""));
        MemoryReputationStore store = new MemoryReputationStore(rules.storeSettings(), time);
        NetworkScores.Crowd c = store.table(NetworkScores.CROWDS).getOrCreate("2001:db8:9:0:0:0:0:0/56",
                k -> new NetworkScores.Crowd());
        c.add(1, 5, T0, HOUR, 20);
        c.add(2, 5, T0, HOUR, 20);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        StoreSnapshot.write(store, out);
        MemoryReputationStore fresh = new MemoryReputationStore(rules.storeSettings(), time);
        StoreSnapshot.read(fresh, new ByteArrayInputStream(out.toByteArray()));
        assertEquals(2, NetworkScores.contributors(fresh,
                ClientKey.of(Cidr.parseAddress("2001:db8:9::"), KeyLevel.WIDE, 56)));
    }
}
