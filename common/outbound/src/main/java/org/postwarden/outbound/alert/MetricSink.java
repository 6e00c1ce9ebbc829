package org.postwarden.outbound.alert;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.postwarden.outbound.Alert;
import org.postwarden.outbound.AlertSink;

/**
 * The count of every alert: {@code postwarden_alerts_total{kind}}, the same meter (name, tag and description) as
 * the log-signal alerts of the engine's {@code SignalRecorder}. Thread-safe, never blocks.
 */
final class MetricSink implements AlertSink {
    private final MeterRegistry registry;

    MetricSink(MeterRegistry registry) {
        this.registry = registry;
    }

    @Override
    public void raise(Alert alert) {
        Counter.builder("postwarden.alerts").description("Alerts raised (log signals, outbound guard, queue watcher)")
                .tag("kind", AlertText.kind(alert)).register(registry).increment();
    }
}
