package org.postwarden.outbound;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.postwarden.api.DeliveryOutcomes;
import org.postwarden.api.Suspensions;
import org.postwarden.config.load.ConfigLoader;
import org.postwarden.metrics.PostwardenMetrics;
import org.postwarden.model.MailEvent;
import org.postwarden.model.ManualTimeSource;
import org.postwarden.model.SmtpStage;
import org.postwarden.outbound.queue.QueuedMessage;
import org.postwarden.reputation.StateCodec;
import org.postwarden.reputation.memory.MemoryReputationStore;
import org.postwarden.rules.Rules;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The outbound guard's state is store state: each kind (profiles, suspensions with what they held, queue-id owners)
 * survives a restart through the store snapshot, and the codecs refuse what they cannot trust.
 */
class OutboundStateTest {
    private static final long MONDAY_NINE = Instant.parse("2026-01-05T09:00:00Z").toEpochMilli();

    private final ManualTimeSource time = new ManualTimeSource(MONDAY_NINE);
    private final List<Alert> alerts = new ArrayList<>();

    private static Rules rules(String yaml) throws Exception {
        return new Rules(ConfigLoader.load("test", yaml));
    }

    private OutboundGuard guard(Rules r) {
        return new OutboundGuard(r, new MemoryReputationStore(r.storeSettings(), time),
                new PostwardenMetrics(new SimpleMeterRegistry()), alerts::add, null);
    }

    /** A new guard on a new store that restored a snapshot of {@code g}'s store: the daemon restarted. */
    private OutboundGuard restarted(OutboundGuard g, Rules r) throws IOException {
        byte[] snapshot = OutboundGuardTest.snapshot(g);
        OutboundGuard next = guard(r);
        OutboundGuardTest.restore(next, snapshot);
        return next;
    }

    private static OutboundGuard.Finding rcpt(OutboundGuard g, Rules r, String user, String to, String instance) {
        MailEvent e = MailEvent.builder(SmtpStage.RCPT).source("policy").client("192.0.2.10").sasl(user)
                .sender(user + "@example.org").recipient(to).instance(instance).build();
        return g.observe(e, r, g.currentStore(), true, false, false, false, false);
    }

    private static OutboundGuard.Finding end(OutboundGuard g, Rules r, String user, String source, String instance,
            String queueId, int recipients) {
        MailEvent e = MailEvent.builder(SmtpStage.END_OF_MESSAGE).source(source).client("192.0.2.10").sasl(user)
                .sender(user + "@example.org").instance(instance).queueId(queueId).recipientCount(recipients)
                .build();
        return g.observe(e, r, g.currentStore(), false, true, false, false, false);
    }

    private static QueuedMessage queued(String queue, String id, String sender) {
        return new QueuedMessage(queue, id, MONDAY_NINE / 1000, 1200, sender, List.of("rcpt@example.net"));
    }

    @Test
    void profilesSurviveARestart() throws Exception {
        Rules r = rules("");
        OutboundGuard g = guard(r);
        // three active hours of three messages to the same three colleagues, then part of a fourth hour
        for (int h = 0; h < 4; h++) {
            for (int m = 0; m < 3; m++) {
                time.set(MONDAY_NINE + h * 3_600_000L + m * 600_000L);
                String id = "h" + h + "m" + m;
                for (String to : List.of("a@office.example", "b@office.example", "c@office.example")) {
                    assertNull(rcpt(g, r, "ann", to, id));
                }
                assertNull(end(g, r, "ann", "policy", id, "Q" + h + m, 3));
            }
        }
        Map<String, double[]> before = g.explain("user:ann").orElseThrow();
        assertTrue(before.get("messages")[2] > 0, "a baseline was learned");

        OutboundGuard again = restarted(g, r);
        assertEquals(1, again.profileCount());
        Map<String, double[]> after = again.explain("user:ann").orElseThrow();
        assertEquals(before.keySet(), after.keySet());
        for (String dimension : before.keySet()) {
            assertArrayEquals(before.get(dimension), after.get(dimension), 1e-9, dimension);
        }
        // the recipients it wrote to came along: a colleague is not new, a stranger is
        assertNull(rcpt(again, r, "ann", "a@office.example", "next"));
        assertEquals(before.get("new-recipients")[0], again.explain("user:ann").orElseThrow()
                .get("new-recipients")[0], 1e-9);
        assertNull(rcpt(again, r, "ann", "stranger@elsewhere.example", "next"));
        assertEquals(before.get("new-recipients")[0] + 1, again.explain("user:ann").orElseThrow()
                .get("new-recipients")[0], 1e-9);
    }

    @Test
    void suspensionsWithTheirHeldMessagesAndQueueIdsSurviveARestart() throws Exception {
        Rules r = rules("outbound: {floors: {recipients: 5}}");
        OutboundGuard g = guard(r);
        OutboundGuard.Finding f = null;
        for (int i = 0; i < 6; i++) {
            f = rcpt(g, r, "bea", "x" + i + "@example.net", "m1");
        }
        assertNotNull(f, "the sixth recipient trips");
        assertEquals("suspended", end(g, r, "bea", "policy", "m1", "QA1", 6).reason());
        assertEquals("suspended", rcpt(g, r, "bea", "friend@example.net", "m2").reason());
        assertEquals("suspended", end(g, r, "bea", "policy", "m2", "QA2", 1).reason());
        Suspensions.Suspension before = g.suspensions().of("bea").orElseThrow();
        assertEquals(2, before.heldMessages());
        assertEquals(List.of("QA1", "QA2"), before.queueIds());
        assertEquals(List.of("bea@example.org"), before.senders());

        OutboundGuard again = restarted(g, r);
        assertEquals(before, again.suspensions().of("bea").orElseThrow(), "subject, since, reason, detail, held "
                + "count, senders and queue ids");
        assertEquals(1, again.suspensions().list().size());
        // the milter's report of a message held before the restart is not counted again; a new message is
        assertEquals("suspended", end(again, r, "bea", "milter", "", "QA2", 1).reason());
        assertEquals(2, again.suspensions().of("bea").orElseThrow().heldMessages());
        assertEquals("suspended", end(again, r, "bea", "policy", "m3", "QA3", 1).reason());
        assertEquals(3, again.suspensions().of("bea").orElseThrow().heldMessages());
        assertEquals(List.of("QA1", "QA2", "QA3"), again.suspensions().of("bea").orElseThrow().queueIds());
        assertEquals(1, alerts.size(), "one alert for the suspension, none again after the restart");
        // released after the restart: lifted, and the burst from before it is forgotten
        assertTrue(again.suspensions().release("bea").isPresent());
        assertNull(rcpt(again, r, "bea", "friend@example.net", "m4"));
    }

    @Test
    void queueIdOwnersSurviveARestart() throws Exception {
        Rules r = rules("outbound: {failures: {max-share: 0.5, min-deliveries: 10}}");
        OutboundGuard g = guard(r);
        for (int m = 1; m <= 12; m++) {
            assertNull(rcpt(g, r, "gina", "r" + m + "@example.net", "g" + m));
            assertNull(end(g, r, "gina", "policy", "g" + m, "Q" + m, 1));
        }
        OutboundGuard again = restarted(g, r);
        // delivery results after the restart still find their sender
        for (int m = 1; m <= 4; m++) {
            again.delivery("Q" + m, DeliveryOutcomes.Status.SENT, time.millis());
        }
        for (int m = 5; m <= 9; m++) {
            again.delivery("Q" + m, DeliveryOutcomes.Status.BOUNCED, time.millis());
        }
        assertTrue(again.suspensions().list().isEmpty(), "5 of 9 is over half, but fewer than min-deliveries");
        again.delivery("Q10", DeliveryOutcomes.Status.DEFERRED, time.millis());
        assertEquals("failures", again.suspensions().of("gina").orElseThrow().reason());
        // and the queue watcher finds its messages still queued (not the hold queue's, not a stranger's)
        assertEquals(List.of("Q11"), again.suspensions().toHold(List.of(queued("deferred", "Q11", "gina@example.org"),
                queued("hold", "Q12", "gina@example.org"), queued("active", "OTHER", "x@example.org"))));
        assertEquals(List.of("Q11"), again.suspensions().of("gina").orElseThrow().queueIds());
    }

    @Test
    void aProfileSilentLongerThanItsExpiryIsDroppedAlsoAfterARestart() throws Exception {
        Rules r = rules("outbound: {profile-expiry: 30d}");
        OutboundGuard g = guard(r);
        assertNull(rcpt(g, r, "cid", "a@example.net", "c1"));
        time.advance(Duration.ofDays(29));
        OutboundGuard again = restarted(g, r);
        assertEquals(0, again.dropSilentProfiles(), "29 days without a message");
        time.advance(Duration.ofDays(2));
        assertEquals(1, again.profileCount(), "restored two days ago: the store's idle time started then");
        assertEquals(1, again.dropSilentProfiles(), "31 days since its last message");
        assertEquals(0, again.profileCount());
    }

    @Test
    void carriedSuspensionsAreTheSameInBothStores() throws Exception {
        Rules r = rules("outbound: {floors: {recipients: 1}}");
        OutboundGuard g = guard(r);
        rcpt(g, r, "dan", "a@example.net", "d1");
        assertNotNull(rcpt(g, r, "dan", "b@example.net", "d1"));
        MemoryReputationStore next = new MemoryReputationStore(r.storeSettings(), time);
        OutboundState.carrySuspensions(g.currentStore(), next);
        assertSame(g.currentStore().table(OutboundState.SUSPENSIONS).get("user:dan"),
                next.table(OutboundState.SUSPENSIONS).get("user:dan"));
        g.rules(r, next);
        assertSame(next, g.currentStore());
        assertEquals("suspended", rcpt(g, r, "dan", "c@example.net", "d2").reason(), "held in the new store");
    }

    @Test
    void profileBoundsChangeTheKindAndNeedAnotherStore() throws Exception {
        Rules a = rules("outbound: {max-profiles: 1000}");
        Rules b = rules("outbound: {max-profiles: 2000}");
        Rules c = rules("outbound: {max-profiles: 1000, floors: {recipients: 7}}");
        assertTrue(OutboundState.needsNewStore(a.config().outbound(), b.config().outbound()));
        assertFalse(OutboundState.needsNewStore(a.config().outbound(), c.config().outbound()), "thresholds only");
        assertEquals(OutboundState.profiles(a.config().outbound()), OutboundState.profiles(c.config().outbound()));
        assertEquals(1000, OutboundState.profiles(a.config().outbound()).maxEntries());
    }

    @Test
    void theCodecsRefuseLengthsBeyondTheirBounds() throws Exception {
        // a suspension with more senders than are ever kept
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(buf);
        out.writeUTF("user:x");
        out.writeLong(1);
        out.writeUTF("recipients");
        out.writeUTF("detail");
        out.writeLong(1);
        out.writeInt(OutboundState.MAX_SENDERS + 1);
        IOException e = assertThrows(IOException.class, () -> read(OutboundState.SUSPENSIONS.codec(), buf));
        assertTrue(e.getMessage().contains("senders"), e.getMessage());
        // an owner with three profile keys
        buf.reset();
        out.writeByte(3);
        assertThrows(IOException.class, () -> read(OutboundState.OWNERS.codec(), buf));
        // a profile whose known-recipient ring is larger than known-recipients can be
        buf.reset();
        out.writeLong(0);
        for (int i = 0; i < 2 * SenderProfile.DIMENSIONS; i++) {
            out.writeLong(0);
        }
        for (int i = 0; i < SenderProfile.DIMENSIONS; i++) {
            out.writeDouble(0);
        }
        out.writeLong(0);
        out.writeLong(0);
        out.writeLong(0);
        out.writeInt(16);
        for (int i = 0; i < 16; i++) {
            out.writeInt(0);
        }
        out.writeInt(0);
        out.writeInt(4097);
        StateCodec<SenderProfile> profiles = OutboundState.profiles(rules("").config().outbound()).codec();
        e = assertThrows(IOException.class, () -> read(profiles, buf));
        assertTrue(e.getMessage().contains("bad array length 4097"), e.getMessage());
        // and what is written reads back
        Rules r = rules("outbound: {floors: {recipients: 1}}");
        OutboundGuard g = guard(r);
        rcpt(g, r, "eve", "a@example.net", "e1");
        rcpt(g, r, "eve", "b@example.net", "e1");
        OutboundState.Suspended s = g.currentStore().table(OutboundState.SUSPENSIONS).get("user:eve");
        buf.reset();
        OutboundState.SUSPENSIONS.codec().write(out, s);
        assertEquals(s.view(), read(OutboundState.SUSPENSIONS.codec(), buf).view());
    }

    private static <V> V read(StateCodec<V> codec, ByteArrayOutputStream buf) throws IOException {
        return codec.read(new DataInputStream(new ByteArrayInputStream(buf.toByteArray())), 1);
    }
}
