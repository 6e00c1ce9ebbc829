package org.postwarden.ingest;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.postwarden.api.DeliveryOutcomes;
import org.postwarden.api.Engine;
import org.postwarden.api.ForwardingEngine;
import org.postwarden.config.PostwardenConfig;
import org.postwarden.config.load.ConfigLoader;
import org.postwarden.engine.DecisionEngine;
import org.postwarden.ingest.source.LineSink;
import org.postwarden.metrics.PostwardenMetrics;
import org.postwarden.model.ManualTimeSource;
import org.postwarden.reputation.memory.MemoryReputationStore;
import org.postwarden.rules.Rules;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Delivery lines go to the current {@link DeliveryOutcomes}, never to the signal recorder (Engine.observe); the age rule holds. */
class IngestPipelineDeliveryTest {
    private static final long NOW = Instant.parse("2025-11-22T10:30:00Z").toEpochMilli();
    private static final String SENT = "2025-11-22T10:00:01+00:00 mx postfix/smtp[1234]: 4ABC12DEF: "
            + "to=<bob@example.net>, relay=mx.example.net[192.0.2.10]:25, delay=0.5, delays=0.1/0/0.2/0.2, "
            + "dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 9XYZ)";

    record Outcome(String queueId, DeliveryOutcomes.Status status, long timeMillis) {
    }

    /** A DeliveryOutcomes that writes down what it is told. */
    static final class Recording implements DeliveryOutcomes {
        final List<Outcome> seen = new CopyOnWriteArrayList<>();

        @Override
        public void delivery(String queueId, Status status, long timeMillis) {
            seen.add(new Outcome(queueId, status, timeMillis));
        }
    }

    /** The engine, with delivery results sent to whatever {@code current} holds at that moment. */
    static final class DeliveriesTo extends ForwardingEngine {
        private final Engine engine;
        private final AtomicReference<DeliveryOutcomes> current;

        DeliveriesTo(Engine engine, AtomicReference<DeliveryOutcomes> current) {
            this.engine = engine;
            this.current = current;
        }

        @Override
        protected Engine delegate() {
            return engine;
        }

        @Override
        public void delivered(String queueId, DeliveryOutcomes.Status status, long timeMillis) {
            current.get().delivery(queueId, status, timeMillis);
        }
    }

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final ManualTimeSource time = new ManualTimeSource(NOW);
    private final Recording first = new Recording();
    private final AtomicReference<DeliveryOutcomes> current = new AtomicReference<>(first);
    private IngestPipeline pipeline;
    private LineSink sink;

    @BeforeEach
    void start() throws Exception {
        PostwardenConfig c = ConfigLoader.load("t", """
                ingest: {max-line-age: 1h}
                scoring: {weights: {pregreet: 10.0}}
                bans: {threshold: 0}
                """);
        Rules rules = new Rules(c);
        DecisionEngine engine = new DecisionEngine(rules, new MemoryReputationStore(rules.storeSettings(), time),
                new PostwardenMetrics(registry));
        pipeline = new IngestPipeline(new DeliveriesTo(engine, current), time, c.ingest().maxLineAge(),
                c.ingest().maxLineLength(), new IngestMetrics(registry));
        sink = pipeline.sink("file");
    }

    private double count(String name, String... tags) {
        Counter c = registry.find(name).tags(tags).counter();
        return c == null ? 0 : c.count();
    }

    @Test
    void aDeliveryLineIsADeliveryResultNotASignal() {
        sink.line(SENT, -1);
        sink.line("2025-11-22T10:00:02+00:00 mx postfix/smtp[1235]: 5B0C3E1A3: to=<nobody@example.com>, "
                + "relay=mx.example.com[192.0.2.30]:25, delay=0.9, delays=0.1/0/0.4/0.4, dsn=5.1.1, status=bounced "
                + "(host mx.example.com[192.0.2.30] said: 550 5.1.1 User unknown (in reply to RCPT TO command))", -1);
        assertEquals(List.of(
                new Outcome("4ABC12DEF", DeliveryOutcomes.Status.SENT,
                        Instant.parse("2025-11-22T10:00:01Z").toEpochMilli()),
                new Outcome("5B0C3E1A3", DeliveryOutcomes.Status.BOUNCED,
                        Instant.parse("2025-11-22T10:00:02Z").toEpochMilli())), first.seen);
        assertEquals(2, count("postwarden.log.events", "category", "delivery"));
        assertEquals(2, count("postwarden.log.lines", "source", "file", "result", "event"));
        assertNull(registry.find("postwarden.signals").counter(), "no score signal recorded");
    }

    @Test
    void aSignalLineGoesToTheRecorderOnly() {
        sink.line("2025-11-22T10:00:03+00:00 mx postfix/postscreen[1]: PREGREET 11 after 0.1 from "
                + "[192.0.2.201]:5: EHLO x", -1);
        assertTrue(first.seen.isEmpty());
        assertEquals(1, count("postwarden.signals", "signal", "pregreet"));
        assertEquals(1, count("postwarden.log.events", "category", "pregreet"));
        assertEquals(0, count("postwarden.log.events", "category", "delivery"));
    }

    @Test
    void otherLinesOfTheDeliveryAgentsAreIgnored() {
        sink.line("2025-11-22T10:00:04+00:00 mx postfix/smtp[1]: connect to mx.example.net[192.0.2.10]:25: "
                + "Connection refused", -1);
        sink.line("2025-11-22T10:00:04+00:00 mx postfix/smtp[1]: 9F4A7C5EB: to=<probe@example.net>, "
                + "relay=mx.example.net[192.0.2.10]:25, delay=0.3, delays=0/0/0.2/0.1, dsn=2.1.5, "
                + "status=deliverable (250 2.1.5 Ok)", -1);
        assertTrue(first.seen.isEmpty());
        assertEquals(2, count("postwarden.log.lines", "source", "file", "result", "ignored"));
    }

    @Test
    void tooOldDeliveryLinesAreDropped() {
        time.set(Instant.parse("2025-11-22T11:00:02Z").toEpochMilli()); // the line is 1 h 0 min 1 s old
        sink.line(SENT, -1);
        assertTrue(first.seen.isEmpty());
        assertEquals(1, count("postwarden.log.lines", "source", "file", "result", "stale"));
        assertEquals(0, count("postwarden.log.events", "category", "delivery"));
    }

    @Test
    void aLineWithoutTimeGetsTheFallbackOrNow() {
        String bare = SENT.substring(SENT.indexOf("postfix/"));
        long docker = NOW - Duration.ofMinutes(5).toMillis();
        sink.line(bare, docker);
        pipeline.accept("syslog-udp", pipeline.parser().parse("postfix/smtp", bare.substring(bare.indexOf(": ") + 2)));
        assertEquals(List.of(docker, NOW), first.seen.stream().map(Outcome::timeMillis).toList());
    }

    @Test
    void theSinkIsAskedForEveryLineSoAReloadTakesEffect() {
        sink.line(SENT, -1);
        Recording second = new Recording();
        current.set(second);
        sink.line(SENT.replace("4ABC12DEF", "4ABC12DF0"), -1);
        assertEquals(List.of("4ABC12DEF"), first.seen.stream().map(Outcome::queueId).toList());
        assertEquals(List.of("4ABC12DF0"), second.seen.stream().map(Outcome::queueId).toList());
    }
}
