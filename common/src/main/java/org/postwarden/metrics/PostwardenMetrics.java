package org.postwarden.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.postwarden.model.Signal;
import org.postwarden.model.SmtpStage;
import org.postwarden.verdict.Decision;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * All of Postwarden's metrics. Names (Prometheus form): {@code postwarden_decisions_total{source,stage,action,reason}},
 * {@code postwarden_would_have_total{source,stage,action,reason}}, {@code postwarden_decision_seconds{source}},
 * {@code postwarden_signals_total{signal}}, {@code postwarden_protocol_errors_total{listener,reason}},
 * {@code postwarden_fallbacks_total{listener,reason}}, {@code postwarden_connections_total{listener}},
 * {@code postwarden_store_entries{kind}}, {@code postwarden_snapshots_total{result}}. See docs/metrics.md.
 */
public final class PostwardenMetrics {
    private final MeterRegistry registry;
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();
    private final Map<String, Timer> timers = new ConcurrentHashMap<>();

    public PostwardenMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    /** A Prometheus registry with JVM and process metrics bound. */
    public static PostwardenMetrics prometheus() {
        PrometheusMeterRegistry r = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new JvmMemoryMetrics().bindTo(r);
        new JvmThreadMetrics().bindTo(r);
        new ProcessorMetrics().bindTo(r);
        new UptimeMetrics().bindTo(r);
        return new PostwardenMetrics(r);
    }

    public MeterRegistry registry() {
        return registry;
    }

    /** Prometheus text exposition, or empty when the registry is not a Prometheus one. */
    public String scrape() {
        return registry instanceof PrometheusMeterRegistry p ? p.scrape() : "";
    }

    private Counter counter(String name, String description, String... tags) {
        String key = name + String.join("\u0000", tags);
        return counters.computeIfAbsent(key, k -> Counter.builder(name).description(description).tags(tags)
                .register(registry));
    }

    public void decision(String source, SmtpStage stage, Decision d, long nanos) {
        counter("postwarden.decisions", "Decisions by listener, SMTP stage, enforced action and deciding reason",
                "source", source, "stage", stage.label(), "action", d.verdict().action().label(),
                "reason", d.primaryReason()).increment();
        if (d.wouldHave().action() != d.verdict().action()) {
            counter("postwarden.would.have", "Dry-run: what would have been enforced",
                    "source", source, "stage", stage.label(), "action", d.wouldHave().action().label(),
                    "reason", d.primaryReason()).increment();
        }
        timers.computeIfAbsent(source, s -> Timer.builder("postwarden.decision")
                .description("Time from event to decision")
                .tags("source", s)
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofNanos(10_000))
                .maximumExpectedValue(Duration.ofSeconds(5))
                .register(registry)).record(nanos, TimeUnit.NANOSECONDS);
    }

    public void signal(Signal s) {
        counter("postwarden.signals", "Signals recorded by type", "signal", s.label()).increment();
    }

    public void protocolError(String listener, String reason) {
        counter("postwarden.protocol.errors", "Connections closed for bad protocol input", "listener", listener,
                "reason", reason).increment();
    }

    public void fallback(String listener, String reason) {
        counter("postwarden.fallbacks", "Fallback answers after an internal failure or blown time budget",
                "listener", listener, "reason", reason).increment();
    }

    public void connection(String listener) {
        counter("postwarden.connections", "Accepted connections by listener", "listener", listener).increment();
    }

    public void snapshot(String result) {
        counter("postwarden.snapshots", "State snapshots written, by result", "result", result).increment();
    }

    /** Registers a gauge once (idempotent per name and tags). */
    public void gauge(String name, String description, Supplier<Number> value, String... tags) {
        Gauge.builder(name, value).description(description).tags(tags).register(registry);
    }
}
