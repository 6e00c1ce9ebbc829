package org.postwarden.outbound;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.postwarden.api.DeliveryOutcomes;
import org.junit.jupiter.api.io.TempDir;
import org.postwarden.api.Suspensions;
import org.postwarden.config.PostwardenConfig;
import org.postwarden.config.load.ConfigLoader;
import org.postwarden.metrics.PostwardenMetrics;
import org.postwarden.model.MailEvent;
import org.postwarden.model.ManualTimeSource;
import org.postwarden.model.SmtpStage;
import org.postwarden.outbound.queue.QueueCommands;
import org.postwarden.reputation.memory.MemoryReputationStore;
import org.postwarden.reputation.memory.StoreSnapshot;
import org.postwarden.rules.Rules;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Profile math and guard decisions with a fake clock: weeks of simulated mail, no sleeps. */
class OutboundGuardTest {
    private static final long MONDAY = Instant.parse("2026-01-05T00:00:00Z").toEpochMilli();

    private final ManualTimeSource time = new ManualTimeSource(MONDAY);
    private final List<Alert> alerts = new ArrayList<>();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private int instance;

    private static Rules rules(String yaml) throws Exception {
        return new Rules(ConfigLoader.load("test", yaml));
    }

    private OutboundGuard guard(Rules r) {
        return new OutboundGuard(r, new MemoryReputationStore(r.storeSettings(), time), new PostwardenMetrics(registry),
                alerts::add, null);
    }

    /** A snapshot of the store {@code g} keeps its state in. */
    static byte[] snapshot(OutboundGuard g) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        StoreSnapshot.write((MemoryReputationStore) g.currentStore(), out);
        return out.toByteArray();
    }

    /** Restores {@code snapshot} into the (fresh) store of {@code g}, as a daemon does at start. */
    static StoreSnapshot.Counts restore(OutboundGuard g, byte[] snapshot) throws IOException {
        return StoreSnapshot.read((MemoryReputationStore) g.currentStore(), new ByteArrayInputStream(snapshot));
    }

    /**
     * One message of {@code user} from {@code client} to {@code rcpts} through the guard, as the policy server
     * reports it (a RCPT per recipient, then END-OF-MESSAGE); returns the first finding, or null.
     */
    private OutboundGuard.Finding send(OutboundGuard g, Rules r, String user, String client, String sender,
            List<String> rcpts) {
        String id = "i" + (++instance);
        OutboundGuard.Finding first = null;
        for (String rcpt : rcpts) {
            MailEvent e = MailEvent.builder(SmtpStage.RCPT).source("policy").client(client).sasl(user)
                    .sender(sender).recipient(rcpt).instance(id).build();
            OutboundGuard.Finding f = g.observe(e, r, g.currentStore(), true, false, false, false, false);
            first = first == null ? f : first;
        }
        MailEvent end = MailEvent.builder(SmtpStage.END_OF_MESSAGE).source("policy").client(client).sasl(user)
                .sender(sender).instance(id).queueId("Q" + instance).recipientCount(rcpts.size()).build();
        OutboundGuard.Finding f = g.observe(end, r, g.currentStore(), false, true, false, false, false);
        return first == null ? f : first;
    }

    private static List<String> recipients(Random rnd, int n, int contacts, int domains) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int c = rnd.nextInt(contacts);
            out.add("contact" + c + "@d" + (c % domains) + ".example");
        }
        return out;
    }

    /**
     * Simulates {@code days} of office hours: each weekday hour 9-17, {@code perHour(day)} messages (randomly
     * 50-150% of it) to 1-3 of the user's contacts; returns the findings.
     */
    private List<OutboundGuard.Finding> officeDays(OutboundGuard g, Rules r, String user, int days,
            java.util.function.IntToDoubleFunction perHour, Random rnd, int contacts) {
        List<OutboundGuard.Finding> found = new ArrayList<>();
        for (int day = 0; day < days; day++) {
            long midnight = MONDAY + day * 86_400_000L;
            boolean weekday = day % 7 < 5;
            for (int h = 9; h < 17 && weekday; h++) {
                double mean = perHour.applyAsDouble(day);
                int n = (int) Math.round(mean * (0.5 + rnd.nextDouble()));
                for (int m = 0; m < n; m++) {
                    time.set(midnight + h * 3_600_000L + (3_600_000L * m) / Math.max(1, n));
                    OutboundGuard.Finding f = send(g, r, user, "192.0.2.10", user,
                            recipients(rnd, 1 + rnd.nextInt(3), contacts, 10));
                    if (f != null) {
                        found.add(f);
                    }
                }
            }
        }
        time.set(MONDAY + days * 86_400_000L + 9 * 3_600_000L);
        return found;
    }

    @Test
    void steadyUserStaysUntouchedForWeeks() throws Exception {
        Rules r = rules("");
        OutboundGuard g = guard(r);
        List<OutboundGuard.Finding> found = officeDays(g, r, "alice", 42, d -> 4, new Random(1), 60);
        assertEquals(List.of(), found);
        assertEquals(List.of(), g.suspensions().list());
        assertEquals(List.of(), alerts);
        // the baseline learned the office-hour rate (about 4 messages per active hour)
        double[] messages = g.explain("user:alice").orElseThrow().get("messages");
        assertTrue(messages[2] > 2 && messages[2] < 7, "baseline " + messages[2]);
    }

    @Test
    void burstOfFiftyTimesTheBaselineTripsAndEveryFurtherMessageIsHeld() throws Exception {
        Rules r = rules("");
        OutboundGuard g = guard(r);
        Random rnd = new Random(2);
        assertEquals(List.of(), officeDays(g, r, "bob", 21, d -> 6, rnd, 80));
        double baseline = g.explain("user:bob").orElseThrow().get("recipients")[2];
        assertTrue(baseline > 8 && baseline < 16, "baseline " + baseline);
        // four times the usual hour, to known contacts, passes (below 10 x baseline)
        for (int m = 0; m < 24; m++) {
            time.advance(Duration.ofMinutes(2));
            assertNull(send(g, r, "bob", "192.0.2.10", "bob@example.org", recipients(rnd, 2, 80, 10)));
        }
        time.advance(Duration.ofHours(3));
        // 50 x the usual recipients within one hour: 30 messages of 20 recipients across 50 domains
        OutboundGuard.Finding tripped = null;
        int sentBefore = 0;
        for (int m = 0; m < 30 && tripped == null; m++) {
            time.advance(Duration.ofSeconds(30));
            List<String> to = new ArrayList<>();
            for (int k = 0; k < 20; k++) {
                to.add("target" + (m * 20 + k) + "@victim" + ((m * 20 + k) % 50) + ".example");
            }
            tripped = send(g, r, "bob", "192.0.2.10", "bob@example.org", to);
            sentBefore = tripped == null ? m + 1 : sentBefore;
        }
        assertNotNull(tripped, "a 50x burst must trip");
        assertTrue(sentBefore * 20 <= 10 * baseline + 20, "passed " + sentBefore + " messages first");
        assertTrue(List.of("recipients", "domains", "new-recipients").contains(tripped.reason()), tripped.reason());
        assertTrue(tripped.value() > tripped.threshold());
        Suspensions.Suspension s = g.suspensions().of("bob").orElseThrow();
        assertEquals("user:bob", s.subject());
        assertEquals(1, alerts.size());
        assertEquals("outbound-suspension", alerts.get(0).kind());
        // every further message is held, even a small one, even hours later
        time.advance(Duration.ofHours(5));
        OutboundGuard.Finding later = send(g, r, "bob", "192.0.2.10", "bob@example.org",
                List.of("contact1@d1.example"));
        assertEquals("suspended", later.reason());
        assertEquals(2, g.suspensions().of("user:bob").orElseThrow().heldMessages());
        assertEquals(1, alerts.size(), "one alert per suspension");
        assertEquals(1.0, registry.counter("postwarden.outbound.suspensions", "reason", tripped.reason()).count());
    }

    @Test
    void slowSteadyIncreaseDoesNotTrip() throws Exception {
        Rules r = rules("");
        OutboundGuard g = guard(r);
        // 20 messages an hour growing 4% a day for eight weeks: about 180 an hour at the end, far above the floors
        List<OutboundGuard.Finding> found = officeDays(g, r, "carol", 56, d -> 20 * Math.pow(1.04, d),
                new Random(3), 400);
        assertEquals(List.of(), found);
        double[] messages = g.explain("user:carol").orElseThrow().get("messages");
        assertTrue(messages[2] > 60, "the baseline followed the growth: " + messages[2]);
    }

    @Test
    void newUserIsJudgedByTheFloors() throws Exception {
        Rules r = rules("outbound: {floors: {recipients: 30}}");
        OutboundGuard g = guard(r);
        List<String> ten = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            ten.add("x" + i + "@example.net");
        }
        assertNull(send(g, r, "dave", "192.0.2.1", "dave@example.org", ten));
        assertNull(send(g, r, "dave", "192.0.2.1", "dave@example.org", ten));
        assertNull(send(g, r, "dave", "192.0.2.1", "dave@example.org", ten));
        OutboundGuard.Finding f = send(g, r, "dave", "192.0.2.1", "dave@example.org", List.of("y@example.net"));
        assertNotNull(f);
        assertEquals("recipients", f.reason());
        assertEquals(31.0, f.value());
        assertEquals(30.0, f.threshold());
    }

    @Test
    void loginFromANewNetworkLowersTheThresholds() throws Exception {
        Rules r = rules("outbound: {floors: {recipients: 40, new-recipients: 1000, domains: 500},"
                + " new-network: {factor: 0.25, window: 1d}}");
        OutboundGuard g = guard(r);
        assertEquals(List.of(), officeDays(g, r, "erin", 14, d -> 2, new Random(4), 30));
        List<String> twelve = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            twelve.add("c" + i + "@d" + i + ".example");
        }
        // twelve recipients from the usual network are fine; from a new network they exceed 40 x 0.25
        assertNull(send(g, r, "erin", "192.0.2.10", "erin@example.org", twelve));
        time.advance(Duration.ofHours(2));
        OutboundGuard.Finding f = send(g, r, "erin", "203.0.113.5", "erin@example.org", twelve);
        assertNotNull(f);
        assertEquals("new-network", f.reason());
        double base = g.explain("user:erin").orElseThrow().get("recipients")[2];
        assertEquals(0.25 * Math.max(40, 10 * base), f.threshold(), 1e-9);
    }

    @Test
    void trustedClientRelayingInBulkIsSuspendedAsAClient() throws Exception {
        Rules r = rules("networks: {trusted: [10.0.0.0/8]}");
        OutboundGuard g = guard(r);
        OutboundGuard.Finding f = null;
        int sent = 0;
        // a compromised web app: every message from a different forged sender domain
        for (int m = 0; m < 200 && f == null; m++) {
            f = send(g, r, "", "10.1.2.3", "x@forged" + m + ".example", List.of("victim" + m + "@example.net"));
            sent++;
        }
        assertNotNull(f);
        assertEquals("trusted-relay", f.reason());
        assertTrue(sent <= 31, "held after " + sent);
        assertTrue(g.suspensions().of("10.1.2.3").isPresent());
        assertEquals("client:10.1.2.3", g.suspensions().list().get(0).subject());
        // untrusted unauthenticated clients are not profiled at all
        assertNull(send(g, r, "", "198.51.100.7", "a@b.example", List.of("c@d.example")));
    }

    @Test
    void allowlistedSendersAndUsersAreNeverHeld() throws Exception {
        Rules r = rules("networks: {trusted: [10.0.0.0/8]}\n"
                + "allowlist: {sasl-users: [newsletter]}\n"
                + "outbound: {allow-senders: ['@lists.example.org', owner@example.org]}");
        OutboundGuard g = guard(r);
        List<String> many = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            many.add("member" + i + "@d" + (i % 60) + ".example");
        }
        assertNull(send(g, r, "", "10.0.0.5", "list-bounces@lists.example.org", many));
        assertNull(send(g, r, "", "10.0.0.5", "OWNER@example.org", many));
        assertNull(send(g, r, "newsletter", "192.0.2.1", "news@example.org", many));
        assertEquals(List.of(), g.suspensions().list());
        assertNotNull(send(g, r, "", "10.0.0.5", "other@example.org", many), "not allowlisted");
    }

    @Test
    void identicalContentToManyRecipientsTrips() throws Exception {
        Rules r = rules("outbound: {identical-content-recipients: 50}");
        OutboundGuard g = guard(r);
        OutboundGuard.Finding f = null;
        for (int m = 0; m < 10 && f == null; m++) {
            MailEvent end = MailEvent.builder(SmtpStage.END_OF_MESSAGE).source("milter").client("192.0.2.1")
                    .sasl("frank").sender("frank@example.org").queueId("F" + m).recipientCount(20)
                    .fingerprint("abcdef").build();
            f = g.observe(end, r, g.currentStore(), false, true, true, true, false);
        }
        assertNotNull(f);
        assertEquals("identical-content", f.reason());
        assertEquals(60.0, f.value());
    }

    @Test
    void downstreamFailuresSuspendTheSender() throws Exception {
        Rules r = rules("outbound: {failures: {max-share: 0.5, min-deliveries: 10}}");
        OutboundGuard g = guard(r);
        for (int m = 0; m < 12; m++) {
            send(g, r, "gina", "192.0.2.1", "gina@example.org", List.of("r" + m + "@example.net"));
        }
        // queue ids Q1..Q12 were seen at END-OF-MESSAGE
        for (int m = 1; m <= 4; m++) {
            g.delivery("Q" + m, DeliveryOutcomes.Status.SENT, time.millis());
        }
        for (int m = 5; m <= 9; m++) {
            g.delivery("Q" + m, DeliveryOutcomes.Status.BOUNCED, time.millis());
        }
        assertTrue(g.suspensions().list().isEmpty(), "5 of 9 is over half, but fewer than min-deliveries");
        g.delivery("Q10", DeliveryOutcomes.Status.DEFERRED, time.millis());
        assertEquals("failures", g.suspensions().of("gina").orElseThrow().reason());
        g.delivery("UNKNOWN", DeliveryOutcomes.Status.BOUNCED, time.millis());
    }

    @Test
    void dryRunFindsButSuspendsNobody() throws Exception {
        Rules r = rules("outbound: {floors: {recipients: 5}}\nchecks: {outbound: {enabled: true, dry-run: true}}");
        OutboundGuard g = guard(r);
        List<String> six = List.of("a@x.example", "b@x.example", "c@x.example", "d@x.example", "e@x.example",
                "f@x.example");
        OutboundGuard.Finding f = null;
        for (String rcpt : six) {
            MailEvent e = MailEvent.builder(SmtpStage.RCPT).source("policy").client("192.0.2.1").sasl("hank")
                    .sender("hank@example.org").recipient(rcpt).instance("dry").build();
            f = g.observe(e, r, g.currentStore(), true, false, false, false, true);
        }
        assertNotNull(f);
        assertEquals("recipients", f.reason());
        assertTrue(g.suspensions().list().isEmpty());
        assertTrue(alerts.isEmpty());
    }

    @Test
    void profilesAndSuspensionsSurviveASnapshot() throws Exception {
        Rules r = rules("outbound: {floors: {recipients: 20}}");
        OutboundGuard g = guard(r);
        officeDays(g, r, "ivan", 7, d -> 3, new Random(5), 20);
        List<String> many = new ArrayList<>();
        for (int i = 0; i < 25; i++) {
            many.add("t" + i + "@example.net");
        }
        assertNotNull(send(g, r, "judy", "192.0.2.2", "judy@example.org", many));
        assertEquals(2, g.profileCount());
        assertEquals(1, g.suspensions().list().size());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        StoreSnapshot.Counts written = StoreSnapshot.write((MemoryReputationStore) g.currentStore(), out);

        OutboundGuard restored = guard(r);
        StoreSnapshot.Counts read = restore(restored, out.toByteArray());
        assertEquals(written.states(), read.states());
        assertEquals(2, restored.profileCount());
        assertEquals(1, restored.suspensions().list().size());
        assertEquals(g.explain("user:ivan").orElseThrow().get("messages")[2],
                restored.explain("user:ivan").orElseThrow().get("messages")[2]);
        Suspensions.Suspension s = restored.suspensions().of("judy").orElseThrow();
        assertEquals(g.suspensions().of("judy").orElseThrow(), s);
        // the restored suspension still holds
        assertEquals("suspended", send(restored, r, "judy", "192.0.2.2", "judy@example.org",
                List.of("friend@example.net")).reason());

        // a damaged snapshot is refused, and nothing of it is restored: one bit flipped in a profile
        byte[] bad = out.toByteArray();
        bad[profileValueAt(bad) + 10] ^= 1;
        OutboundGuard other = guard(r);
        IOException expected = assertThrows(IOException.class, () -> restore(other, bad),
                "a flipped bit must be detected");
        assertTrue(String.valueOf(expected.getMessage()).contains("checksum"), expected.getMessage());
        assertEquals(0, other.profileCount());
        assertTrue(other.suspensions().list().isEmpty());
    }

    /** Where the first profile's value starts in a store snapshot (after its table's name and version, its key). */
    private static int profileValueAt(byte[] snap) {
        byte[] name = "outbound-profile".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        for (int i = 0; i + name.length <= snap.length; i++) {
            if (java.util.Arrays.equals(snap, i, i + name.length, name, 0, name.length)) {
                int entry = i + name.length + 4; // the encoding version
                int keyLength = (snap[entry + 1] & 255) << 8 | (snap[entry + 2] & 255); // after the entry marker
                return entry + 3 + keyLength + 4; // after the key and the value's length
            }
        }
        throw new AssertionError("no profile table in the snapshot");
    }

    @Test
    void releaseLiftsTheSuspensionAndForgetsTheBurst() throws Exception {
        Rules r = rules("outbound: {floors: {recipients: 20}}");
        OutboundGuard g = guard(r);
        List<String> many = new ArrayList<>();
        for (int i = 0; i < 25; i++) {
            many.add("t" + i + "@example.net");
        }
        assertNotNull(send(g, r, "kim", "192.0.2.3", "kim@example.org", many));
        // no queue commands in this guard: the suspension is lifted, the queue part reports why it did nothing
        Suspensions.Outcome o = g.suspensions().release("kim").orElseThrow();
        assertEquals("user:kim", o.suspension().subject());
        assertFalse(o.error().isEmpty());
        assertTrue(g.suspensions().list().isEmpty());
        assertTrue(g.suspensions().release("kim").isEmpty());
        assertNull(send(g, r, "kim", "192.0.2.3", "kim@example.org", List.of("friend@example.net")),
                "a released sender is not held again for the burst it was released from");
    }

    /**
     * A guard whose queue commands are shell scripts: the listing prints {@code hold} ({@code postqueue -j} lines),
     * postsuper writes its standard input to {@code dir/stdin} and reports {@code n} messages (the ids it got).
     */
    private OutboundGuard guardWithQueue(Rules r, Path dir, List<String> hold) throws IOException {
        Path listing = dir.resolve("listing.json");
        Files.write(listing, hold);
        Path postsuper = dir.resolve("postsuper.sh");
        Files.writeString(postsuper, "#!/bin/sh\ncat > '" + dir.resolve("stdin") + "'\n"
                + "n=$(wc -l < '" + dir.resolve("stdin") + "')\n"
                + "case \"$1\" in -H) echo \"postsuper: Released from hold: $n messages\" >&2;; "
                + "-d) echo \"postsuper: Deleted: $n messages\" >&2;; esac\n");
        PostwardenConfig.Queue q = new PostwardenConfig.Queue(false, Duration.ofSeconds(60),
                List.of("cat", listing.toString()), List.of("/bin/sh", postsuper.toString()), Duration.ofSeconds(30),
                200_000, 0, Duration.ZERO, 0, 100, 0, Duration.ofHours(1), false);
        return new OutboundGuard(r, new MemoryReputationStore(r.storeSettings(), time), new PostwardenMetrics(registry),
                alerts::add, new QueueCommands(() -> q));
    }

    private static String held(String id, long arrivalSeconds, String sender) {
        return "{\"queue_name\": \"hold\", \"queue_id\": \"" + id + "\", \"arrival_time\": " + arrivalSeconds
                + ", \"message_size\": 1200, \"sender\": \"" + sender
                + "\", \"recipients\": [{\"address\": \"rcpt@example.net\"}]}";
    }

    @Test
    void releaseAndPurgeTouchOnlyTheHeldMailOfTheSuspendedSenderNotOthersSharingItsAddress(@TempDir Path dir)
            throws Exception {
        Rules r = rules("outbound: {floors: {recipients: 20}}");
        List<String> many = new ArrayList<>();
        for (int i = 0; i < 25; i++) {
            many.add("t" + i + "@example.net");
        }
        long now = MONDAY / 1000;
        // kim's burst (Q1) and a later message (Q2) are held; lee sends as the same role address (held by
        // another check or an admin: Q9), and an unknown message from that address sits in hold too (X7)
        List<String> hold = List.of(held("Q1", now, "office@example.org"), held("Q2", now + 5, "office@example.org"),
                held("Q9", now + 10, "office@example.org"), held("X7", now + 20, "office@example.org"));
        OutboundGuard g = guardWithQueue(r, dir, hold);
        assertNotNull(send(g, r, "kim", "192.0.2.3", "office@example.org", many));
        assertNotNull(send(g, r, "kim", "192.0.2.3", "office@example.org", List.of("friend@example.net")));
        instance = 8;
        assertNull(send(g, r, "lee", "192.0.2.4", "office@example.org", List.of("friend@example.net")));

        Suspensions.Outcome purged = g.suspensions().purge("kim").orElseThrow();
        assertEquals("", purged.error());
        assertEquals("Q1\nQ2\n", Files.readString(dir.resolve("stdin")), "purge deletes only kim's held mail");
        assertEquals(2, purged.messages());

        Suspensions.Outcome released = g.suspensions().release("kim").orElseThrow();
        assertEquals("", released.error());
        assertEquals("Q1\nQ2\n", Files.readString(dir.resolve("stdin")),
                "release releases only kim's held mail, not lee's nor an unknown sender's with the same address");
    }

    @Test
    void aKnownQueueIdNowOwnedBySomeoneElseIsNotReleased(@TempDir Path dir) throws Exception {
        Rules r = rules("outbound: {floors: {recipients: 20}}");
        List<String> many = new ArrayList<>();
        for (int i = 0; i < 25; i++) {
            many.add("t" + i + "@example.net");
        }
        OutboundGuard g = guardWithQueue(r, dir, List.of(held("Q1", MONDAY / 1000, "kim@example.org"),
                held("Q2", MONDAY / 1000, "lee@example.org")));
        assertNotNull(send(g, r, "kim", "192.0.2.3", "kim@example.org", many));
        assertNotNull(send(g, r, "kim", "192.0.2.3", "kim@example.org", List.of("friend@example.net")));
        // Postfix reused the short id Q2 for a message of lee's, which the daemon saw
        MailEvent reuse = MailEvent.builder(SmtpStage.END_OF_MESSAGE).source("policy").client("192.0.2.4").sasl("lee")
                .sender("lee@example.org").instance("reuse").queueId("Q2").recipientCount(1).build();
        g.observe(reuse, r, g.currentStore(), false, true, false, false, false);
        g.suspensions().release("kim").orElseThrow();
        assertEquals("Q1\n", Files.readString(dir.resolve("stdin")));
    }

    @Test
    void aBurstNeverBecomesTheBaselineEvenWhenTheSuspensionOutlivesTheHour() throws Exception {
        Rules r = rules("outbound: {floors: {recipients: 20}}");
        OutboundGuard g = guard(r);
        List<String> many = new ArrayList<>();
        for (int i = 0; i < 25; i++) {
            many.add("t" + i + "@example.net");
        }
        // a brand-new account's first activity is a burst
        assertNotNull(send(g, r, "mia", "192.0.2.4", "mia@example.org", many));
        // hours pass while it is suspended; an admin looks, delivery results of its queue ids arrive
        time.advance(Duration.ofHours(3));
        assertEquals(0.0, g.explain("user:mia").orElseThrow().get("recipients")[2]);
        g.delivery("Q" + instance, DeliveryOutcomes.Status.SENT, time.millis());
        // and it survives a restart
        OutboundGuard restored = guard(r);
        restore(restored, snapshot(g));
        time.advance(Duration.ofHours(3));
        assertEquals(0.0, restored.explain("user:mia").orElseThrow().get("recipients")[2]);
        restored.suspensions().release("mia");
        time.advance(Duration.ofHours(2));
        double[] after = restored.explain("user:mia").orElseThrow().get("recipients");
        assertEquals(0.0, after[2], "the burst is not the new normal");
        assertEquals(20.0, after[1], "the floor still applies");
    }

    @Test
    void inDryRunAnAnomalousHourIsNotLearnedEither() throws Exception {
        Rules r = rules("checks: {outbound: {enabled: true, dry-run: true}}");
        OutboundGuard g = guard(r);
        assertEquals(List.of(), officeDays(g, r, "ned", 14, d -> 3, new Random(6), 30));
        double before = g.explain("user:ned").orElseThrow().get("recipients")[2];
        // a burst far over the floors: reported (dry-run), nobody suspended
        List<String> many = new ArrayList<>();
        for (int i = 0; i < 150; i++) {
            many.add("x" + i + "@d" + (i % 40) + ".example");
        }
        String id = "dry-burst";
        OutboundGuard.Finding f = null;
        for (String rcpt : many) {
            MailEvent e = MailEvent.builder(SmtpStage.RCPT).source("policy").client("192.0.2.10").sasl("ned")
                    .sender("ned@example.org").recipient(rcpt).instance(id).build();
            OutboundGuard.Finding x = g.observe(e, r, g.currentStore(), true, false, false, false, true);
            f = f == null ? x : f;
        }
        assertNotNull(f);
        assertTrue(g.suspensions().list().isEmpty());
        time.advance(Duration.ofHours(2));
        double after = g.explain("user:ned").orElseThrow().get("recipients")[2];
        assertEquals(before, after, 1e-9, "the anomalous hour did not enter the baseline");
    }
}
