package org.postwarden.milter.handler;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.postwarden.metrics.PostwardenMetrics;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The milter's own metrics, next to the shared ones ({@code postwarden_decisions_total{source="milter"}} has the
 * verdicts by stage, action and reason; connections, protocol errors and fallbacks carry
 * {@code listener="milter"}):
 * <ul>
 * <li>{@code postwarden_milter_sessions_total} — SMTP sessions seen (connect commands);</li>
 * <li>{@code postwarden_milter_commands_total{command}} — milter commands received, by command;</li>
 * <li>{@code postwarden_milter_replies_total{stage,reply}} — replies written, by stage and kind;</li>
 * <li>{@code postwarden_milter_command_seconds{stage}} — from a command's arrival to its reply (histogram);</li>
 * <li>{@code postwarden_milter_connections} — milter connections open now (one per SMTP session).</li>
 * </ul>
 * Labels come from fixed sets. Thread-safe.
 */
public final class MilterMetrics {
    static final String LISTENER = "milter";
    private final PostwardenMetrics shared;
    private final MeterRegistry registry;
    private final Counter sessions;
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();
    private final Map<String, Timer> timers = new ConcurrentHashMap<>();

    public MilterMetrics(PostwardenMetrics shared, Supplier<Number> openConnections) {
        this.shared = shared;
        this.registry = shared.registry();
        this.sessions = Counter.builder("postwarden.milter.sessions").description("SMTP sessions seen by the milter")
                .register(registry);
        shared.gauge("postwarden.milter.connections", "Milter connections open now", openConnections);
    }

    public PostwardenMetrics shared() {
        return shared;
    }

    void session() {
        sessions.increment();
    }

    void command(String command) {
        counters.computeIfAbsent("c" + command, k -> Counter.builder("postwarden.milter.commands")
                .description("Milter commands received, by command").tag("command", command).register(registry))
                .increment();
    }

    void reply(String stage, String reply) {
        counters.computeIfAbsent("r" + stage + "\u0000" + reply, k -> Counter.builder("postwarden.milter.replies")
                .description("Milter replies written, by stage and kind").tags("stage", stage, "reply", reply)
                .register(registry)).increment();
    }

    void latency(String stage, long nanos) {
        timers.computeIfAbsent(stage, s -> Timer.builder("postwarden.milter.command")
                .description("Time from a milter command to its reply")
                .tag("stage", s)
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofNanos(10_000))
                .maximumExpectedValue(Duration.ofSeconds(5))
                .register(registry)).record(nanos, TimeUnit.NANOSECONDS);
    }

    void protocolError(String reason) {
        shared.protocolError(LISTENER, reason);
    }

    void fallback(String reason) {
        shared.fallback(LISTENER, reason);
    }
}
