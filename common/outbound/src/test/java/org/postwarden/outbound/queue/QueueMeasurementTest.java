package org.postwarden.outbound.queue;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The statistics of a listing, without commands or a watcher: a pure function of listing, previous and time. */
class QueueMeasurementTest {
    static final long T0 = 1_800_000_000_000L;
    static final long S0 = T0 / 1000;

    static QueuedMessage msg(String queue, String id, long arrival, String sender) {
        return new QueuedMessage(queue, id, arrival, 1000, sender, List.of("rcpt@example.net"));
    }

    @Test
    void depthOldestAndSenderShareOfOneListing() {
        QueueListing list = new QueueListing(List.of(
                msg("deferred", "A1", S0 - 3600, "alice@example.org"),
                msg("deferred", "A2", S0 - 60, "bob@example.org"),
                msg("active", "A3", S0 - 10, "alice@example.org"),
                msg("incoming", "A4", S0 - 5, ""),
                msg("hold", "H1", S0 - 86400, "mallory@example.org")), 7, 0, true);
        QueueMeasurement m = QueueMeasurement.of(list, null, T0);
        assertEquals(2L, m.unparsed(), "7 listed, 5 parsed");
        assertEquals(6, m.depth(), "incoming 1 + active 1 + deferred 2 + 2 unparsed; hold is not depth");
        assertEquals("deferred", m.largestDepthQueue());
        assertEquals("deferred", m.oldestQueue(), "the held message is older but on hold");
        assertEquals("A1", m.oldestId());
        assertEquals(3600, m.oldestAgeSeconds());
        assertEquals(4, m.parsedOutsideHold());
        assertEquals(0.5, m.share(2));
        assertEquals(List.of(Map.entry("alice@example.org", 2L)), m.heavySenders(2, 0.5, 10));
        assertEquals(List.of(Map.entry("alice@example.org", 2L), Map.entry("", 1L)), m.heavySenders(1, 0.2, 2),
                "most messages first, then by address, at most the limit");
        QueueStats s = m.stats();
        assertEquals(T0, s.atMillis());
        assertEquals(2L, s.messages().get("deferred"));
        assertEquals(86400L, s.oldestAgeSeconds().get("hold"));
        assertEquals(6, s.outsideHold());
        assertEquals("alice@example.org", s.topSender());
        assertEquals(0.5, s.topSenderShare());
        assertEquals(0, s.growthPerMinute(), "no previous poll");
        assertEquals(7, s.listed());
    }

    @Test
    void growthIsPerMinuteSinceThePreviousPollAndNamesTheQueueThatGrewMost() {
        QueueStats before = QueueMeasurement.of(new QueueListing(List.of(
                msg("deferred", "A1", S0, "a@example.org")), 1, 0, false), null, T0).stats();
        QueueMeasurement after = QueueMeasurement.of(new QueueListing(List.of(
                msg("deferred", "A1", S0, "a@example.org"),
                msg("hold", "H1", S0, "b@example.org"),
                msg("hold", "H2", S0, "b@example.org"),
                msg("active", "A2", S0, "a@example.org"),
                msg("incoming", "A3", S0, "a@example.org")), 5, 0, false), before, T0 + 120_000);
        assertEquals(2.0, after.stats().growthPerMinute(), "4 more in 2 minutes, hold included");
        assertEquals("hold", after.grewMost(before));
        assertEquals(List.of(), QueueMeasurement.of(QueueListing.EMPTY, null, T0).heavySenders(0, 0, 10),
                "an empty queue has no heavy sender");
    }
}
