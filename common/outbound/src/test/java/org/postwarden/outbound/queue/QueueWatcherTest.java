package org.postwarden.outbound.queue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postwarden.config.PostwardenConfig;
import org.postwarden.metrics.PostwardenMetrics;
import org.postwarden.model.ManualTimeSource;
import org.postwarden.outbound.Alert;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.postwarden.outbound.queue.QueueTestSupport.entry;
import static org.postwarden.outbound.queue.QueueTestSupport.script;
import static org.postwarden.outbound.queue.QueueTestSupport.settings;

/** Polls against a stand-in postqueue whose listing each test writes; time is a manual clock, nothing sleeps. */
class QueueWatcherTest {
    static final long T0 = 1_800_000_000_000L;
    static final long S0 = T0 / 1000;

    @TempDir
    Path dir;
    final ManualTimeSource time = new ManualTimeSource(T0);
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    final List<Alert> alerts = new ArrayList<>();
    final List<List<QueuedMessage>> asked = new ArrayList<>();
    final AtomicReference<PostwardenConfig.Queue> settings = new AtomicReference<>();
    final ListAppender<ILoggingEvent> log = new ListAppender<>();
    final Logger logger = (Logger) LoggerFactory.getLogger("org.postwarden.outbound");
    Level oldLevel;
    QueueWatcher watcher;

    /** First listing: 4 messages outside hold (alice 3, bob 1), one held. */
    static final List<String> FIRST = List.of(
            entry("deferred", "4BkT2V3bNzz9vQ1", S0 - 3600, "alice@example.org"),
            entry("deferred", "4BkT2V3bNzz9vQ2", S0 - 600, "alice@example.org"),
            entry("deferred", "4BkT2V3bNzz9vQ3", S0 - 60, "bob@example.org"),
            entry("active", "D3A1B2C4E5", S0 - 10, "alice@example.org"),
            entry("hold", "4BkT2V3bNzz9vQ9", S0 - 86400, "mallory@example.org"));

    /** Second listing: the first plus 4 from bob in incoming (8 outside hold: alice 3, bob 5). */
    static final List<String> SECOND = concat(FIRST, List.of(
            entry("incoming", "4BkT2X0aaaz1", S0 + 100, "bob@example.org"),
            entry("incoming", "4BkT2X0aaaz2", S0 + 100, "bob@example.org"),
            entry("incoming", "4BkT2X0aaaz3", S0 + 110, "bob@example.org"),
            entry("deferred", "4BkT2X0aaaz4", S0 + 110, "bob@example.org")));

    static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    @BeforeEach
    void setUp() throws IOException {
        List<String> postqueue = script(dir, "postqueue.sh", "cat \"$DIR/listing\"");
        List<String> postsuper = script(dir, "postsuper.sh", """
                cat > "$DIR/held"
                echo "postsuper: Placed on hold: $(wc -l < "$DIR/held" | tr -d ' ') messages" >&2
                """);
        settings.set(settings(postqueue, postsuper, Duration.ofSeconds(30)));
        oldLevel = logger.getLevel();
        logger.setLevel(Level.INFO);
        log.start();
        logger.addAppender(log);
        watcher = new QueueWatcher(new QueueCommands(settings::get), settings::get, time,
                new PostwardenMetrics(registry), alerts::add, messages -> {
                    asked.add(messages);
                    List<String> ids = new ArrayList<>(messages.stream()
                            .filter(m -> m.sender().equals("alice@example.org")).map(QueuedMessage::queueId)
                            .toList());
                    ids.add("NOTLISTED1");
                    return ids;
                });
    }

    @AfterEach
    void tearDown() {
        logger.detachAppender(log);
        logger.setLevel(oldLevel);
    }

    void listing(List<String> lines) throws IOException {
        Files.writeString(dir.resolve("listing"), String.join("\n", lines) + "\n");
    }

    double gauge(String name, String queue) {
        return queue == null ? registry.get(name).gauge().value()
                : registry.get(name).tag("queue", queue).gauge().value();
    }

    /** Each of {@code expected}'s queues has that value in the per-queue gauge {@code name}. */
    void assertGauges(String name, Map<String, Integer> expected) {
        expected.forEach((queue, value) -> assertEquals(value.doubleValue(), gauge(name, queue),
                name + "{queue=" + queue + "}"));
    }

    double polls(String result) {
        return registry.get("postwarden.queue.polls").tag("result", result).counter().count();
    }

    @Test
    void depthAgeShareAndGrowthAfterTwoPolls() throws Exception {
        listing(FIRST);
        watcher.poll();
        assertGauges("postwarden.queue.messages", Map.of("deferred", 3, "active", 1, "hold", 1, "incoming", 0,
                "maildrop", 0));
        assertGauges("postwarden.queue.oldest.age.seconds", Map.of("deferred", 3600, "active", 10, "hold", 86400,
                "incoming", 0));
        assertEquals(0.75, gauge("postwarden.queue.top.sender.share", null));
        assertEquals(0, gauge("postwarden.queue.growth.per.minute", null));
        assertEquals("alice@example.org", watcher.latest().topSender());

        time.advance(Duration.ofMinutes(2));
        listing(SECOND);
        watcher.poll();
        assertGauges("postwarden.queue.messages", Map.of("deferred", 4, "incoming", 3));
        assertGauges("postwarden.queue.oldest.age.seconds", Map.of("deferred", 3720, "incoming", 20));
        assertEquals(5.0 / 8, gauge("postwarden.queue.top.sender.share", null));
        assertEquals(2.0, gauge("postwarden.queue.growth.per.minute", null)); // 4 more in 2 minutes
        assertEquals("bob@example.org", watcher.latest().topSender());
        assertEquals(8, watcher.latest().outsideHold());
        assertEquals(2, polls("ok"));
        assertEquals(0, polls("error"));
        assertTrue(alerts.isEmpty(), "all thresholds are off");
        assertTrue(asked.isEmpty(), "hold-suspended is off");
    }

    @Test
    void eachAlertAtMostOncePerIntervalAndSenderShareOncePerSender() throws Exception {
        settings.set(QueueTestSupport.withAlerts(settings.get(), 3, Duration.ofMinutes(30), 0.4, 2, 1.0,
                Duration.ofHours(1)));
        listing(FIRST);
        watcher.poll();
        assertEquals(List.of("queue-depth deferred", "queue-age deferred", "queue-sender-share alice@example.org"),
                raised());
        Alert depth = alerts.getFirst();
        assertEquals(4L, depth.details().get("messages"));
        assertEquals(3L, depth.details().get("threshold"));
        assertEquals(T0, depth.atMillis());
        assertEquals(3600L, alerts.get(1).details().get("ageSeconds"));
        assertEquals("4BkT2V3bNzz9vQ1", alerts.get(1).details().get("queueId"));
        assertEquals(0.75, alerts.get(2).details().get("share"));
        assertEquals(0.4, alerts.get(2).details().get("threshold"));

        alerts.clear();
        time.advance(Duration.ofMinutes(2));
        listing(SECOND);
        watcher.poll();
        assertEquals(List.of("queue-sender-share bob@example.org", "queue-growth incoming"), raised());
        assertEquals(2.0, alerts.get(1).details().get("growthPerMinute"));
        assertEquals(1.0, alerts.get(1).details().get("threshold"));

        alerts.clear();
        time.advance(Duration.ofMinutes(2));
        watcher.poll();
        assertEquals(List.of(), raised(), "same queue, within the interval: nothing new");

        alerts.clear();
        time.set(T0 + Duration.ofMinutes(62).toMillis());
        watcher.poll();
        assertEquals(List.of("queue-depth deferred", "queue-age deferred", "queue-sender-share bob@example.org"),
                raised(), "an interval later the standing conditions alert again (no growth now)");
    }

    @Test
    void aReleaseFromHoldIsNoGrowth() throws Exception {
        settings.set(QueueTestSupport.withAlerts(settings.get(), 0, Duration.ZERO, 0, 2, 1.0, Duration.ofHours(1)));
        listing(List.of(entry("hold", "H0LD0000001", S0, "alice@example.org"),
                entry("hold", "H0LD0000002", S0, "alice@example.org"),
                entry("hold", "H0LD0000003", S0, "alice@example.org")));
        watcher.poll();
        time.advance(Duration.ofMinutes(1));
        // an admin released them: the same three messages, now active
        listing(List.of(entry("active", "H0LD0000001", S0, "alice@example.org"),
                entry("active", "H0LD0000002", S0, "alice@example.org"),
                entry("active", "H0LD0000003", S0, "alice@example.org")));
        watcher.poll();
        assertEquals(0, gauge("postwarden.queue.growth.per.minute", null));
        assertEquals(List.of(), raised());
        time.advance(Duration.ofMinutes(1));
        // three new messages (held on arrival) are growth
        listing(List.of(entry("active", "H0LD0000001", S0, "alice@example.org"),
                entry("active", "H0LD0000002", S0, "alice@example.org"),
                entry("active", "H0LD0000003", S0, "alice@example.org"),
                entry("hold", "H0LD0000004", S0, "mallory@example.org"),
                entry("hold", "H0LD0000005", S0, "mallory@example.org"),
                entry("hold", "H0LD0000006", S0, "mallory@example.org")));
        watcher.poll();
        assertEquals(3.0, gauge("postwarden.queue.growth.per.minute", null));
        assertEquals(List.of("queue-growth hold"), raised());
    }

    @Test
    void theNullSenderIsNamedInTheShareAlert() throws Exception {
        settings.set(QueueTestSupport.withAlerts(settings.get(), 0, Duration.ZERO, 0.5, 2, 0, Duration.ofHours(1)));
        listing(List.of(entry("deferred", "B0B0B0B0B1", S0, ""), entry("deferred", "B0B0B0B0B2", S0, ""),
                entry("deferred", "B0B0B0B0B3", S0, "carol@example.org")));
        watcher.poll();
        assertEquals(List.of("queue-sender-share <>"), raised());
        assertEquals("", watcher.latest().topSender());
    }

    @Test
    void holdSuspendedHoldsTheTargetsListedOutsideHold() throws Exception {
        settings.set(QueueTestSupport.withHoldSuspended(settings.get(), true));
        listing(FIRST);
        watcher.poll();
        assertEquals(1, asked.size());
        assertEquals(4, asked.getFirst().size(), "messages already on hold are not offered");
        assertFalse(asked.getFirst().stream().anyMatch(m -> m.queueName().equals("hold")));
        assertEquals("4BkT2V3bNzz9vQ1\n4BkT2V3bNzz9vQ2\nD3A1B2C4E5\n", Files.readString(dir.resolve("held")),
                "only listed ids go to postsuper");
        assertEquals(3, registry.get("postwarden.queue.held.messages").counter().count());
        assertEquals(1, polls("ok"));
        assertTrue(log.list.stream().anyMatch(e -> e.getLevel() == Level.INFO
                && e.getFormattedMessage().startsWith("put 3 queued messages of suspended senders on hold")));
    }

    @Test
    void aFailingListCommandIsCountedLoggedOncePerStreakAndKeepsTheGauges() throws Exception {
        listing(FIRST);
        watcher.poll();
        List<String> broken = script(dir, "broken.sh", """
                echo "postqueue: fatal: Queue report unavailable - mail system is down" >&2
                exit 69
                """);
        PostwardenConfig.Queue working = settings.get();
        settings.set(QueueTestSupport.withList(working, broken));
        time.advance(Duration.ofMinutes(1));
        watcher.poll();
        time.advance(Duration.ofMinutes(1));
        watcher.poll();
        assertEquals(1, polls("ok"));
        assertEquals(2, polls("error"));
        assertEquals(3, gauge("postwarden.queue.messages", "deferred"), "previous value kept");
        assertEquals(3600, gauge("postwarden.queue.oldest.age.seconds", "deferred"), "previous value kept");
        assertTrue(watcher.latest().lastError().contains("exited with status 69"), watcher.latest().lastError());
        assertEquals(1, warnings(), "one WARN per failure streak");

        settings.set(working);
        time.advance(Duration.ofMinutes(1));
        watcher.poll();
        assertEquals("", watcher.latest().lastError());
        assertEquals(2, polls("ok"));
        settings.set(QueueTestSupport.withList(working, broken));
        watcher.poll();
        assertEquals(2, warnings(), "a new streak warns again");
    }

    @Test
    void aFailingHoldIsCountedAndDoesNotThrow() throws Exception {
        List<String> broken = script(dir, "postsuper-broken.sh", """
                cat > /dev/null
                echo "postsuper: fatal: use of this command is reserved for the superuser" >&2
                exit 1
                """);
        PostwardenConfig.Queue q = QueueTestSupport.withHoldSuspended(settings.get(), true);
        settings.set(new PostwardenConfig.Queue(q.watch(), q.interval(), q.listCommand(), broken,
                q.commandTimeout(), q.maxMessages(), q.alertDepth(), q.alertOldestAge(), q.alertSenderShare(),
                q.alertSenderMinMessages(), q.alertGrowthPerMinute(), q.alertInterval(), true));
        listing(FIRST);
        watcher.poll();
        assertEquals(1, polls("error"));
        assertEquals(3, gauge("postwarden.queue.messages", "deferred"), "the listing itself worked");
        assertEquals(0, registry.get("postwarden.queue.held.messages").counter().count());
        assertTrue(watcher.latest().lastError().contains("reserved for the superuser"));
    }

    @Test
    void startSchedulesPollsOnlyWhileWatchIsOn() throws Exception {
        List<Object[]> scheduled = new ArrayList<>();
        ScheduledExecutorService scheduler = (ScheduledExecutorService) Proxy.newProxyInstance(
                getClass().getClassLoader(), new Class<?>[] {ScheduledExecutorService.class}, (proxy, m, args) -> {
                    if (m.getName().equals("schedule") && args[0] instanceof Runnable) {
                        scheduled.add(args);
                        return null;
                    }
                    throw new UnsupportedOperationException(m.getName());
                });
        PostwardenConfig.Queue on = settings.get();
        settings.set(QueueTestSupport.withWatch(on, false));
        assertFalse(watcher.start(scheduler));
        assertTrue(scheduled.isEmpty());

        settings.set(on);
        listing(FIRST);
        assertTrue(watcher.start(scheduler));
        assertTrue(watcher.start(scheduler), "already scheduled: nothing more");
        assertEquals(1, scheduled.size());
        assertEquals(0L, scheduled.getFirst()[1], "first poll right away");
        ((Runnable) scheduled.getFirst()[0]).run();
        assertEquals(1, polls("ok"));
        assertEquals(2, scheduled.size());
        assertEquals(60_000L, scheduled.get(1)[1]);
        assertEquals(TimeUnit.MILLISECONDS, scheduled.get(1)[2]);

        settings.set(QueueTestSupport.withWatch(on, false));
        ((Runnable) scheduled.get(1)[0]).run();
        assertEquals(1, polls("ok"), "watch turned off by a reload: no poll");
        assertEquals(2, scheduled.size(), "and no further schedule");
    }

    @Test
    void prometheusNamesAreTheDocumentedOnes() throws Exception {
        PostwardenMetrics prometheus = PostwardenMetrics.prometheus();
        QueueWatcher w = new QueueWatcher(new QueueCommands(settings::get), settings::get, time, prometheus,
                alerts::add, HoldTargets.NONE);
        listing(FIRST);
        w.poll();
        String scrape = prometheus.scrape();
        for (String line : List.of("postwarden_queue_messages{queue=\"deferred\"} 3.0",
                "postwarden_queue_oldest_age_seconds{queue=\"hold\"} 86400.0",
                "postwarden_queue_top_sender_share 0.75", "postwarden_queue_growth_per_minute 0.0",
                "postwarden_queue_polls_total{result=\"ok\"} 1.0", "postwarden_queue_held_messages_total 0.0")) {
            assertTrue(scrape.contains(line), line + " in\n" + scrape);
        }
    }

    List<String> raised() {
        return alerts.stream().map(a -> a.kind() + " " + a.subject()).toList();
    }

    long warnings() {
        return log.list.stream().filter(e -> e.getLevel() == Level.WARN).count();
    }
}
