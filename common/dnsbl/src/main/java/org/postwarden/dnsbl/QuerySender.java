package org.postwarden.dnsbl;

import org.postwarden.dnsbl.zone.DnsblSettings;
import org.postwarden.metrics.PostwardenMetrics;
import org.postwarden.model.TimeSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Resolver;
import org.xbill.DNS.Type;

import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Builds and sends the A query for one query name to one zone, asynchronously: dnsjava's
 * {@link Resolver#sendAsync(Message, Executor)} with the answer handled on the client's executor, and the client's
 * timer enforcing {@code dnsbl.query-timeout}. At most {@code dnsbl.max-in-flight} queries are out at once; past
 * that a query is not sent and fails as {@link DnsblResult.Reason#OVERLOAD} (logged at most once a minute). Counts
 * queries and their latency; {@link AnswerClassifier} makes the answer. Never blocks; thread-safe.
 */
final class QuerySender {
    private static final Logger LOG = LoggerFactory.getLogger(DnsblClient.class);
    private static final long OVERLOAD_LOG_EVERY_NANOS = TimeUnit.MINUTES.toNanos(1);

    private final DnsblSettings settings;
    private final Resolver resolver;
    private final PostwardenMetrics metrics;
    private final TimeSource time;
    private final AnswerClassifier classifier;
    private final Executor executor;
    private final ScheduledExecutorService timer;
    private final Semaphore inFlight;
    private final AtomicLong lastOverloadLog = new AtomicLong(System.nanoTime() - OVERLOAD_LOG_EVERY_NANOS);
    private volatile boolean closed;

    QuerySender(DnsblSettings settings, Resolver resolver, PostwardenMetrics metrics, TimeSource time,
            AnswerClassifier classifier, Executor executor, ScheduledExecutorService timer) {
        this.settings = settings;
        this.resolver = resolver;
        this.metrics = metrics;
        this.time = time;
        this.classifier = classifier;
        this.executor = executor;
        this.timer = timer;
        this.inFlight = new Semaphore(settings.maxInFlight());
    }

    /**
     * Asks zone {@code z} about {@code name} (the full query name, without the trailing dot); {@code shown} is the
     * target as logs show it. Completes, never exceptionally, with the answer or the failure.
     */
    CompletableFuture<ZoneAnswer> query(Zone z, String name, String shown) {
        return query(z, name, shown, false);
    }

    /**
     * {@link #query(Zone, String, String)}; a {@code probe} (the zone's RFC 5782 test points) is counted as a query
     * but its listing is not counted as one ({@code postwarden_dnsbl_listings_total} counts listings of real targets).
     */
    CompletableFuture<ZoneAnswer> query(Zone z, String name, String shown, boolean probe) {
        long now = time.nanos();
        if (closed) {
            return CompletableFuture.completedFuture(new ZoneAnswer(new DnsblResult.Failed(
                    DnsblResult.Reason.CLOSED, "DNSBL client closed (configuration reloaded or shutting down)"), now));
        }
        if (!inFlight.tryAcquire()) {
            return CompletableFuture.completedFuture(overload(z, now));
        }
        metrics.dnsblQuery(z.domain);
        long start = System.nanoTime();
        CompletableFuture<ZoneAnswer> out = new CompletableFuture<>();
        out.whenComplete((a, t) -> {
            inFlight.release();
            metrics.dnsblLatency(z.domain, System.nanoTime() - start);
        });
        ScheduledFuture<?> timeout;
        try {
            timeout = timer.schedule(() -> executor.execute(() -> {
                if (!out.isDone()) {
                    out.complete(classifier.timedOut(z));
                }
            }), settings.queryTimeout().toNanos(), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            out.complete(new ZoneAnswer(new DnsblResult.Failed(DnsblResult.Reason.CLOSED, "DNSBL client closed"),
                    now));
            return out;
        }
        out.whenComplete((a, t) -> timeout.cancel(false));
        CompletableFuture<Message> sent;
        try {
            sent = resolver.sendAsync(newQuery(name), executor).toCompletableFuture();
        } catch (IOException | RuntimeException e) {
            sent = CompletableFuture.failedFuture(e);
        }
        sent.whenComplete((m, t) -> {
            if (out.isDone()) {
                return;
            }
            try {
                out.complete(m != null ? classifier.classify(z, m, shown, !probe) : classifier.failure(z, t));
            } catch (RuntimeException e) {
                out.complete(classifier.failure(z, e));
            }
        });
        return out;
    }

    /** The A query for {@code name} (absolute: a dot is appended). */
    static Message newQuery(String name) throws IOException {
        return Message.newQuery(org.xbill.DNS.Record.newRecord(Name.fromString(name + "."), Type.A, DClass.IN));
    }

    private ZoneAnswer overload(Zone z, long now) {
        metrics.dnsblError(z.domain, DnsblResult.Reason.OVERLOAD.label());
        long t = System.nanoTime();
        long last = lastOverloadLog.get();
        if (t - last >= OVERLOAD_LOG_EVERY_NANOS && lastOverloadLog.compareAndSet(last, t)) {
            LOG.warn("DNSBL: {} queries in flight (dnsbl.max-in-flight); new lookups score nothing until "
                    + "answers come back", settings.maxInFlight());
        }
        return new ZoneAnswer(new DnsblResult.Failed(DnsblResult.Reason.OVERLOAD,
                "more than dnsbl.max-in-flight (" + settings.maxInFlight() + ") queries in flight"), now);
    }

    /** New queries fail at once as {@link DnsblResult.Reason#CLOSED}; those out complete as they would. */
    void close() {
        closed = true;
    }
}
