package org.postwarden.dnsbl;

import org.postwarden.dnsbl.zone.DnsblSettings;
import org.postwarden.dnsbl.zone.ZoneKind;
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
import java.util.EnumMap;
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
 * timer enforcing {@code dnsbl.query-timeout}. Each lookup kind has its own in-flight budget
 * ({@code dnsbl.max-in-flight} for client addresses, with the probes and own-IP checks;
 * {@code dnsbl.max-in-flight-helo} and {@code -sender} for the RHSBL lookups), so a flood of random HELO names or
 * sender domains, which no cache absorbs, cannot take the client-IP lookups' slots. Past its budget a query is not
 * sent and fails as {@link DnsblResult.Reason#OVERLOAD}: counted ({@code postwarden_dnsbl_overload_total} per kind)
 * and logged at most once a minute per kind. Counts queries and their latency; {@link AnswerClassifier} makes the
 * answer. Never blocks; thread-safe.
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
    private final EnumMap<ZoneKind, Semaphore> inFlight = new EnumMap<>(ZoneKind.class);
    private final EnumMap<ZoneKind, AtomicLong> lastOverloadLog = new EnumMap<>(ZoneKind.class);
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
        for (ZoneKind k : ZoneKind.values()) {
            inFlight.put(k, new Semaphore(settings.maxInFlight(k)));
            lastOverloadLog.put(k, new AtomicLong(System.nanoTime() - OVERLOAD_LOG_EVERY_NANOS));
        }
    }

    /**
     * Asks zone {@code z} about {@code name} (the full query name, without the trailing dot) for a lookup of
     * {@code kind} (whose in-flight budget it takes); {@code shown} is the target as logs show it. Completes, never
     * exceptionally, with the answer or the failure.
     */
    CompletableFuture<ZoneAnswer> query(ZoneKind kind, Zone z, String name, String shown) {
        return query(kind, z, name, shown, false);
    }

    /**
     * {@link #query(ZoneKind, Zone, String, String)}; a {@code probe} (the zone's RFC 5782 test points) is counted as
     * a query but its listing is not counted as one ({@code postwarden_dnsbl_listings_total} counts listings of real
     * targets).
     */
    CompletableFuture<ZoneAnswer> query(ZoneKind kind, Zone z, String name, String shown, boolean probe) {
        long now = time.nanos();
        if (closed) {
            return CompletableFuture.completedFuture(new ZoneAnswer(new DnsblResult.Failed(
                    DnsblResult.Reason.CLOSED, "DNSBL client closed (configuration reloaded or shutting down)"), now));
        }
        Semaphore budget = inFlight.get(kind);
        if (!budget.tryAcquire()) {
            return CompletableFuture.completedFuture(overload(kind, z, now));
        }
        metrics.dnsblQuery(z.domain);
        long start = System.nanoTime();
        CompletableFuture<ZoneAnswer> out = new CompletableFuture<>();
        out.whenComplete((a, t) -> {
            budget.release();
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

    private ZoneAnswer overload(ZoneKind kind, Zone z, long now) {
        metrics.dnsblError(z.domain, DnsblResult.Reason.OVERLOAD.label());
        metrics.dnsblOverload(kind.label());
        String key = budgetKey(kind);
        long t = System.nanoTime();
        AtomicLong lastLog = lastOverloadLog.get(kind);
        long last = lastLog.get();
        if (t - last >= OVERLOAD_LOG_EVERY_NANOS && lastLog.compareAndSet(last, t)) {
            LOG.warn("DNSBL: {} {} queries in flight ({}); new {} lookups score nothing until answers come back",
                    settings.maxInFlight(kind), kind.label(), key, kind.label());
        }
        return new ZoneAnswer(new DnsblResult.Failed(DnsblResult.Reason.OVERLOAD,
                "more than " + key + " (" + settings.maxInFlight(kind) + ") " + kind.label() + " queries in flight"),
                now);
    }

    /** The configuration key of the in-flight budget of {@code kind}. */
    static String budgetKey(ZoneKind kind) {
        return switch (kind) {
            case CLIENT_IP -> "dnsbl.max-in-flight";
            case RHSBL_HELO -> "dnsbl.max-in-flight-helo";
            case RHSBL_SENDER -> "dnsbl.max-in-flight-sender";
        };
    }

    /** New queries fail at once as {@link DnsblResult.Reason#CLOSED}; those out complete as they would. */
    void close() {
        closed = true;
    }
}
