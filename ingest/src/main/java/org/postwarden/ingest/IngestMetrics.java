package org.postwarden.ingest;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.postwarden.ingest.parse.LogCategory;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Log ingestion metrics: {@code postwarden_log_lines_total{source,result}} (source: file, docker, syslog-udp,
 * syslog-tcp; result: event, ignored, too-long, malformed, stale) and {@code postwarden_log_events_total{category}}
 * (a {@link LogCategory} label, {@code delivery} included).
 * Labels are bounded (never an address, user or path). Thread-safe.
 */
public final class IngestMetrics {
    private final MeterRegistry registry;
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();

    public IngestMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    /** One line from {@code source} with {@code result}. */
    public void line(String source, String result) {
        counters.computeIfAbsent("l|" + source + "|" + result, k -> Counter.builder("postwarden.log.lines")
                .description("Log lines read, by source and what became of them")
                .tags("source", source, "result", result).register(registry)).increment();
    }

    /** One parsed event of {@code category}. */
    public void event(LogCategory category) {
        counters.computeIfAbsent("e|" + category, k -> Counter.builder("postwarden.log.events")
                .description("Interesting log lines, by category")
                .tags("category", category.label()).register(registry)).increment();
    }
}
