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
 * {@code postwarden_store_entries{kind}}, {@code postwarden_snapshots_total{result}}, DNSBL:
 * {@code postwarden_dnsbl_queries_total{zone}}, {@code postwarden_dnsbl_listings_total{zone}},
 * {@code postwarden_dnsbl_errors_total{zone,reason}}, {@code postwarden_dnsbl_timeouts_total{zone,phase}},
 * {@code postwarden_dnsbl_query_seconds{zone}}, {@code postwarden_dnsbl_cache_total{result}},
 * {@code postwarden_dnsbl_cache_hit_ratio}, {@code postwarden_dnsbl_zone_failing{zone}},
 * {@code postwarden_dnsbl_own_ip_listed{zone}}, {@code postwarden_dnsbl_zone_switched_off{zone}},
 * {@code postwarden_dnsbl_probes_total{zone,result}}, greylisting: {@code postwarden_greylist_total{result}},
 * {@code postwarden_greylist_auto_allowlisted_total}, {@code postwarden_greylist_pool_matches_total{via}},
 * {@code postwarden_greylist_lookups_total{kind,result}}; the outbound guard registers its own ({@code postwarden_outbound_*},
 * {@code postwarden_queue_*}, {@code postwarden_alert*}) through {@link #registry()}. See docs/metrics.md, which
 * lists every one.
 */
public final class PostwardenMetrics {
    private final MeterRegistry registry;
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();
    private final Map<String, Timer> timers = new ConcurrentHashMap<>();
    private final Map<String, Timer> dnsblTimers = new ConcurrentHashMap<>();
    private final java.util.Set<String> dnsblGaugeZones = ConcurrentHashMap.newKeySet();
    private final java.util.concurrent.atomic.AtomicReference<DnsblView> dnsblView =
            new java.util.concurrent.atomic.AtomicReference<>();
    private volatile Counter dnsblCacheHit;
    private volatile Counter dnsblCacheMiss;

    public PostwardenMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    /** A Prometheus registry with JVM and process metrics bound. */
    public static PostwardenMetrics prometheus() {
        PrometheusMeterRegistry r = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        // Two binder meters break Prometheus naming rules (`promtool check metrics`): process_cpu_time_ns_total (a
        // unit abbreviation; process_cpu_usage remains) and system_cpu_count (a "_count" suffix on a gauge).
        r.config().meterFilter(io.micrometer.core.instrument.config.MeterFilter.deny(id ->
                id.getName().equals("process.cpu.time") || id.getName().equals("system.cpu.count")));
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

    /**
     * The counter {@code name} with {@code tags} (key, value, ...): registered on first use, then cached. The
     * listeners' own metrics register theirs through it too.
     */
    public Counter counter(String name, String description, String... tags) {
        String key = name + String.join("\u0000", tags);
        return counters.computeIfAbsent(key, k -> Counter.builder(name).description(description).tags(tags)
                .register(registry));
    }

    /**
     * Registers the latency histogram {@code name} with {@code tags} (key, value, ...), its buckets from {@code min}
     * to {@code max}, or returns the one registered before. Not cached: callers keep theirs per label value.
     */
    public Timer latency(String name, String description, Duration min, Duration max, String... tags) {
        return Timer.builder(name)
                .description(description)
                .tags(tags)
                .publishPercentileHistogram()
                .minimumExpectedValue(min)
                .maximumExpectedValue(max)
                .register(registry);
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
        timers.computeIfAbsent(source, s -> latency("postwarden.decision", "Time from event to decision",
                Duration.ofNanos(10_000), Duration.ofSeconds(5), "source", s)).record(nanos, TimeUnit.NANOSECONDS);
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

    // --- DNSBL (labels: zone domains from the configuration only; never a DQS key, never an address) ---------

    /** What the DNSBL gauges read: the running DNSBL client's state (swapped on reload). */
    public interface DnsblView {
        /** 1 when {@code zone} is marked failing (it answered a query-error code), else 0. */
        double zoneFailing(String zone);

        /** How many of our own outbound addresses {@code zone} lists. */
        double ownIpListed(String zone);

        /** 1 when {@code zone} is switched off by its RFC 5782 probe (it seems to list everything), else 0. */
        default double zoneSwitchedOff(String zone) {
            return 0;
        }
    }

    /**
     * Makes {@code view} the source of the per-zone gauges {@code postwarden_dnsbl_zone_failing{zone}} and
     * {@code postwarden_dnsbl_own_ip_listed{zone}}, registering them for {@code zones} (idempotent). A zone gone from
     * the configuration keeps its gauge, reading 0. {@code view} null detaches the gauges (all read 0).
     */
    public void dnsblView(java.util.Collection<String> zones, DnsblView view) {
        dnsblView.set(view);
        for (String z : zones) {
            if (dnsblGaugeZones.add(z)) {
                gauge("postwarden.dnsbl.zone.failing", "1 while a DNSBL zone answers query-error codes (not scored)",
                        () -> {
                            DnsblView v = dnsblView.get();
                            return v == null ? 0 : v.zoneFailing(z);
                        }, "zone", z);
                gauge("postwarden.dnsbl.own.ip.listed", "Our own outbound addresses listed in a DNSBL zone",
                        () -> {
                            DnsblView v = dnsblView.get();
                            return v == null ? 0 : v.ownIpListed(z);
                        }, "zone", z);
                gauge("postwarden.dnsbl.zone.switched.off", "1 while a DNSBL zone is switched off because its "
                        + "RFC 5782 probe failed (it seems to list everything; not scored)", () -> {
                            DnsblView v = dnsblView.get();
                            return v == null ? 0 : v.zoneSwitchedOff(z);
                        }, "zone", z);
            }
        }
        dnsblCacheCounters();
    }

    /** Detaches {@code view} from the gauges if it is still the current one. */
    public void dnsblViewClosed(DnsblView view) {
        dnsblView.compareAndSet(view, null);
    }

    private void dnsblCacheCounters() {
        if (dnsblCacheHit == null) {
            synchronized (this) {
                if (dnsblCacheHit == null) {
                    dnsblCacheMiss = Counter.builder("postwarden.dnsbl.cache").description(
                            "DNSBL lookups per target (client address, HELO name, sender domain) by cache result")
                            .tags("result", "miss").register(registry);
                    dnsblCacheHit = Counter.builder("postwarden.dnsbl.cache").description(
                            "DNSBL lookups per target (client address, HELO name, sender domain) by cache result")
                            .tags("result", "hit").register(registry);
                    Counter hit = dnsblCacheHit;
                    Counter miss = dnsblCacheMiss;
                    gauge("postwarden.dnsbl.cache.hit.ratio", "DNSBL cache hits / lookups since start", () -> {
                        double h = hit.count();
                        double all = h + miss.count();
                        return all == 0 ? 0 : h / all;
                    });
                }
            }
        }
    }

    /** A target lookup answered from the cache ({@code hit}) or not. Cheap: no allocation. */
    public void dnsblCache(boolean hit) {
        Counter c = hit ? dnsblCacheHit : dnsblCacheMiss;
        if (c == null) {
            dnsblCacheCounters();
            c = hit ? dnsblCacheHit : dnsblCacheMiss;
        }
        c.increment();
    }

    /** {@code n} target lookups answered from the cache at once (one increment for a whole request). */
    public void dnsblCacheHits(int n) {
        if (n <= 0) {
            return;
        }
        Counter c = dnsblCacheHit;
        if (c == null) {
            dnsblCacheCounters();
            c = dnsblCacheHit;
        }
        c.increment(n);
    }

    /** One RFC 5782 probe of {@code zone} ended: {@code pass}, {@code fail} or {@code no-answer}. */
    public void dnsblProbe(String zone, String result) {
        counter("postwarden.dnsbl.probes", "RFC 5782 probes of DNSBL zones, per zone and result", "zone", zone,
                "result", result).increment();
    }

    /** A DNS query sent to {@code zone}. */
    public void dnsblQuery(String zone) {
        counter("postwarden.dnsbl.queries", "DNS queries sent, per DNSBL zone", "zone", zone).increment();
    }

    /** An answer from {@code zone} that lists the target (before per-entry filters). */
    public void dnsblListing(String zone) {
        counter("postwarden.dnsbl.listings", "DNSBL answers that list the target, per zone", "zone", zone)
                .increment();
    }

    /**
     * A query not sent because the in-flight budget of its lookup kind ({@code client-ip}, {@code rhsbl-helo},
     * {@code rhsbl-sender}) was spent: the lookup scores nothing (fails open).
     */
    public void dnsblOverload(String kind) {
        counter("postwarden.dnsbl.overload", "DNSBL queries not sent because the in-flight budget of their lookup "
                + "kind was spent (the lookup scores nothing)", "kind", kind).increment();
    }

    /** A query to {@code zone} that failed: servfail, rcode, error-code, network, overload. */
    public void dnsblError(String zone, String reason) {
        counter("postwarden.dnsbl.errors", "DNSBL queries without a usable answer, per zone and reason",
                "zone", zone, "reason", reason).increment();
    }

    /**
     * A timeout at {@code zone}: {@code phase="query"} when the DNS query got no answer within
     * {@code dnsbl.query-timeout}, {@code phase="decision"} when a decision stopped waiting ({@code dnsbl.timeout}).
     */
    public void dnsblTimeout(String zone, String phase) {
        counter("postwarden.dnsbl.timeouts", "DNSBL timeouts per zone: query (DNS) or decision (wait budget)",
                "zone", zone, "phase", phase).increment();
    }

    /** Time from sending a query to {@code zone} to its answer (or its timeout). */
    public void dnsblLatency(String zone, long nanos) {
        dnsblTimers.computeIfAbsent(zone, z -> latency("postwarden.dnsbl.query", "DNSBL query latency per zone",
                Duration.ofNanos(100_000), Duration.ofSeconds(10), "zone", z)).record(nanos, TimeUnit.NANOSECONDS);
    }

    // --- greylisting (labels: fixed strings only) ----------------------------------------------------------------

    /**
     * A greylisting outcome at RCPT: {@code greylisted} (a first attempt, or one after the retry window: deferred),
     * {@code early} (a retry before the delay: deferred again), {@code passed} (a retry after the delay),
     * {@code known} (a triplet that passed before), {@code auto-allowlisted} (a network past
     * {@code auto-allowlist-after}), {@code lookup-timeout} (pool lookups over budget: not greylisted).
     */
    public void greylist(String result) {
        counter("postwarden.greylist", "Greylisting outcomes at RCPT of doubtful clients", "result", result)
                .increment();
    }

    /** A client network became auto-allowlisted (its passed retries reached {@code greylist.auto-allowlist-after}). */
    public void greylistAutoAllowlisted() {
        counter("postwarden.greylist.auto.allowlisted", "Client networks that became auto-allowlisted").increment();
    }

    /** A retry from another address counted because both are in one sender pool: {@code via} cidr, ptr or spf. */
    public void greylistPoolMatch(String via) {
        counter("postwarden.greylist.pool.matches", "Greylisting retries matched through a sender pool", "via", via)
                .increment();
    }

    /** A sender-pool DNS lookup finished (cache misses): {@code kind} ptr or spf, with its {@code result}. */
    public void greylistLookup(String kind, String result) {
        counter("postwarden.greylist.lookups", "Sender-pool DNS lookups by kind and result", "kind", kind,
                "result", result).increment();
    }
}
