package org.postwarden.ingest;

import org.postwarden.api.Engine;
import org.postwarden.ingest.parse.LogEvent;
import org.postwarden.ingest.parse.LogLineParser;
import org.postwarden.ingest.parse.Timestamps;
import org.postwarden.ingest.source.LineSink;
import org.postwarden.model.TimeSource;

import java.time.Duration;
import java.util.List;

/**
 * From a line to the store: parse ({@link LogLineParser}), drop what is too old ({@code ingest.max-line-age}), count,
 * and hand the signal to the engine ({@link Engine#observe}), which scores and bans, or a delivery result to
 * {@link Engine#delivered} (never both). One pipeline for all sources; each source gets its own {@link #sink} (its
 * own year inference for classic time stamps). Thread-safe; never blocks.
 */
public final class IngestPipeline {
    private final Engine engine;
    private final TimeSource time;
    private final long maxAgeMillis;
    private final IngestMetrics metrics;
    private final int maxLineLength;
    private final List<String> programNames;

    /** A pipeline into {@code engine} that reads Postfix's and Dovecot's program names only. */
    public IngestPipeline(Engine engine, TimeSource time, Duration maxLineAge, int maxLineLength,
            IngestMetrics metrics) {
        this(engine, time, maxLineAge, maxLineLength, metrics, List.of());
    }

    /** A pipeline into {@code engine} that also reads {@code programNames} ({@code ingest.program-names}). */
    public IngestPipeline(Engine engine, TimeSource time, Duration maxLineAge, int maxLineLength,
            IngestMetrics metrics, List<String> programNames) {
        this.programNames = List.copyOf(programNames);
        this.engine = engine;
        this.time = time;
        this.maxAgeMillis = maxLineAge.toMillis();
        this.maxLineLength = maxLineLength;
        this.metrics = metrics;
    }

    /** A parser for one source (its own year inference). */
    public LogLineParser parser() {
        return new LogLineParser(maxLineLength, new Timestamps(java.time.ZoneId.systemDefault(), time), programNames);
    }

    /** A sink for whole lines from {@code source} (file, docker). */
    public LineSink sink(String source) {
        LogLineParser parser = parser();
        return new LineSink() {
            @Override
            public void line(String line, long fallbackTime) {
                if (parser.tooLong(line)) {
                    metrics.line(source, "too-long");
                    return;
                }
                LogEvent e = parser.parse(line);
                if (e == null) {
                    metrics.line(source, "ignored");
                    return;
                }
                accept(source, e.timeMillis() >= 0 ? e : e.at(fallbackTime));
            }

            @Override
            public void rejected(String reason) {
                metrics.line(source, reason);
            }
        };
    }

    /** An event from {@code source} (already parsed; its time may be -1 for "now"). */
    public void accept(String source, LogEvent e) {
        if (e == null) {
            metrics.line(source, "ignored");
            return;
        }
        if (maxAgeMillis > 0 && e.timeMillis() > 0 && time.millis() - e.timeMillis() > maxAgeMillis) {
            metrics.line(source, "stale");
            return;
        }
        LogEvent.Delivery d = e.delivery();
        if (d != null) {
            engine.delivered(d.queueId(), d.status(), e.timeMillis() > 0 ? e.timeMillis() : time.millis());
        } else {
            engine.observe(e.toSignal());
        }
        metrics.event(e.category());
        metrics.line(source, "event");
    }

    /** Counts a line of {@code source} refused before parsing ({@code too-long}, {@code malformed}). */
    public void rejected(String source, String reason) {
        metrics.line(source, reason);
    }
}
