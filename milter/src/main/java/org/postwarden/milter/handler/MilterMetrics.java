package org.postwarden.milter.handler;

import io.micrometer.core.instrument.Counter;
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
    private final Counter sessions;
    private final Map<String, Timer> timers = new ConcurrentHashMap<>();

    public MilterMetrics(PostwardenMetrics shared, Supplier<Number> openConnections) {
        this.shared = shared;
        this.sessions = shared.counter("postwarden.milter.sessions", "SMTP sessions seen by the milter");
        shared.gauge("postwarden.milter.connections", "Milter connections open now", openConnections);
    }

    public PostwardenMetrics shared() {
        return shared;
    }

    void session() {
        sessions.increment();
    }

    void command(String command) {
        shared.counter("postwarden.milter.commands", "Milter commands received, by command", "command", command)
                .increment();
    }

    void reply(String stage, String reply) {
        shared.counter("postwarden.milter.replies", "Milter replies written, by stage and kind", "stage", stage,
                "reply", reply).increment();
    }

    void latency(String stage, long nanos) {
        timers.computeIfAbsent(stage, s -> shared.latency("postwarden.milter.command",
                "Time from a milter command to its reply", Duration.ofNanos(10_000), Duration.ofSeconds(5),
                "stage", s)).record(nanos, TimeUnit.NANOSECONDS);
    }

    void protocolError(String reason) {
        shared.protocolError(LISTENER, reason);
    }

    void fallback(String reason) {
        shared.fallback(LISTENER, reason);
    }
}
