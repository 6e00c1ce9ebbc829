package org.postwarden.dnsbl;

import org.postwarden.dnsbl.zone.DnsblSettings;
import org.postwarden.dnsbl.zone.ZoneKind;
import org.postwarden.metrics.PostwardenMetrics;
import org.postwarden.model.TimeSource;
import org.xbill.DNS.ExtendedResolver;
import org.xbill.DNS.Resolver;
import org.xbill.DNS.SimpleResolver;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Asks DNSBL/DNSWL/RHSBL zones about client addresses, HELO names and sender domains, without ever blocking the
 * caller: queries go out through dnsjava's asynchronous {@link Resolver#sendAsync(Message, Executor)}, their answers
 * are handled on this client's own small thread pool, and its own timer enforces both the query timeout and the
 * per-decision wait ({@code dnsbl.timeout}).
 *
 * <p>This class is the facade: it owns the threads and wires the parts. {@link QuerySender} builds and sends the
 * queries (in-flight limit, query timeout); {@link AnswerClassifier} turns answers into listed / not listed /
 * failed; {@link ZoneTable} and {@link ZoneHealth} hold the zones and which of them are failing;
 * {@link AnswerCache} memoizes answers, per-target summaries and per-event lookups and shares lookups in flight;
 * {@link DnsMonitor} schedules the background checks: {@link ZoneProber} probes every zone at its RFC 5782 test
 * points and switches off a zone that lists everything, {@link OwnIpMonitor} watches our own addresses.
 *
 * <p>Caches, bounded, expiring per entry: answers per query name (TTL from the answer, NXDOMAIN's from the SOA,
 * clamped to {@code min-ttl..max-ttl}; failures for {@code failure-ttl}); and per target a summary of all zones of
 * its kind, valid until its first answer expires, so a repeated lookup costs one cache read. In-flight lookups are
 * shared: a second request for the same target waits for the same queries.
 *
 * <p>Failure semantics: a timeout, SERVFAIL or network error is {@link DnsblResult.Failed}: it scores nothing and is
 * counted. A code that means a query error (anything outside 127.0.0.0/8, and {@code dnsbl.error-codes}, e.g.
 * Spamhaus' 127.255.255.252/254/255) is never a listing: the zone is marked failing (log line, gauge), and none of its
 * listings count until it gives a sane answer again (a listing or NXDOMAIN).
 *
 * <p>The DQS key is only ever part of query names; logs, metrics and explanations use the configured zone names, and
 * failure details are {@link DnsblSettings#redact redacted}. Thread-safe.
 */
public final class DnsblClient implements AutoCloseable {
    private final DnsblSettings settings;
    private final PostwardenMetrics metrics;
    private final DnsThreads threads;
    private final Executor executor;
    private final ScheduledExecutorService timer;
    private final ZoneTable zones;
    private final QuerySender sender;
    private final AnswerCache cache;
    private final OwnIpMonitor ownIps;
    private final ZoneProber prober;
    private final DnsMonitor monitor;
    private final PostwardenMetrics.DnsblView view;
    private volatile DnsblWatch watch = DnsblWatch.NONE;

    /**
     * Creates a client with the resolver named in {@code settings} (or the system's) and starts no background work;
     * see {@link #startMonitoring}.
     */
    public static DnsblClient create(DnsblSettings settings, PostwardenMetrics metrics, TimeSource time) {
        Resolver r = settings.resolver() == null ? new ExtendedResolver() : new SimpleResolver(settings.resolver());
        r.setTimeout(settings.queryTimeout());
        return new DnsblClient(settings, r, metrics, time);
    }

    /** Creates a client that sends its queries to {@code resolver} (tests and benchmarks pass a stub). */
    public DnsblClient(DnsblSettings settings, Resolver resolver, PostwardenMetrics metrics, TimeSource time) {
        this.settings = settings;
        this.metrics = metrics;
        this.threads = new DnsThreads("postwarden-dnsbl");
        this.executor = threads.executor();
        this.timer = threads.timer();
        this.zones = new ZoneTable(settings);
        this.sender = new QuerySender(settings, resolver, metrics, time, new AnswerClassifier(settings, metrics, time),
                executor, timer);
        this.cache = new AnswerCache(settings, zones, sender, metrics, time, executor);
        this.ownIps = new OwnIpMonitor(settings.ownIps(), zones.of(ZoneKind.CLIENT_IP), sender, time,
                () -> watch);
        this.prober = new ZoneProber(zones, settings.requireTestListing(), settings.probeExemptZones(), sender,
                metrics, time, () -> watch);
        this.monitor = new DnsMonitor(prober, ownIps, time, settings.probeInterval(),
                settings.ownIpCheckInterval());
        this.view = new PostwardenMetrics.DnsblView() {
            @Override
            public double zoneFailing(String zone) {
                ZoneHealth h = zones.health(zone);
                return h != null && h.errorCodes() ? 1 : 0;
            }

            @Override
            public double zoneSwitchedOff(String zone) {
                ZoneHealth h = zones.health(zone);
                String off = h == null ? null : h.switchedOff();
                return off != null && !ZoneProber.PENDING.equals(off) ? 1 : 0;
            }

            @Override
            public double ownIpListed(String zone) {
                return ownIps.listedCount(zone);
            }
        };
        metrics.dnsblView(zones.domains(), view);
    }

    public DnsblSettings settings() {
        return settings;
    }

    /** Whether any zone of {@code kind} is configured. */
    public boolean has(ZoneKind kind) {
        return zones.has(kind);
    }

    /**
     * Whether {@code domain} scores nothing now: it is marked failing (it answered query-error codes) or switched
     * off by its probe (or not probed yet, once monitoring started).
     */
    public boolean failing(String domain) {
        return zones.failing(domain);
    }

    /**
     * Looks up everything one event asks, from its fields as received: the client address, and where RHSBL zones
     * are configured the HELO name and the sender's domain (each looked up only if it is a plain host name, see
     * {@link QueryNames#normalizeDomain}; {@code sender} null or empty: none). Same contract as
     * {@link #lookup(InetAddress, String, String)}; when everything is cached it costs one cache read (the events of
     * one connection, and connections of one client, ask the same).
     */
    public CompletableFuture<DnsblLookup> lookupEvent(InetAddress client, String helo, String sender) {
        EventKey key = new EventKey(has(ZoneKind.CLIENT_IP) ? client : null,
                has(ZoneKind.RHSBL_HELO) && helo != null && !helo.isEmpty() ? helo : null,
                has(ZoneKind.RHSBL_SENDER) && sender != null && !sender.isEmpty() ? sender : null);
        DnsblLookup done = cache.doneEvent(key);
        if (done != null) {
            metrics.dnsblCacheHits((done.client() == null ? 0 : 1) + (done.helo() == null ? 0 : 1)
                    + (done.sender() == null ? 0 : 1));
            return CompletableFuture.completedFuture(done);
        }
        return cache.event(key.stored(), k -> lookup(k.client(),
                k.helo() == null ? null : QueryNames.normalizeDomain(k.helo()),
                k.senderDomain() == null ? null : QueryNames.normalizeDomain(k.senderDomain())));
    }

    /**
     * Looks up the client address and, where RHSBL zones are configured, the HELO name and sender domain (null:
     * skip; pass them through {@link QueryNames#normalizeDomain}). Completes within {@code dnsbl.timeout}: zones that
     * have not answered by then are {@link DnsblResult.Reason#TIMEOUT} for this call (their queries go on and fill
     * the cache). Completes at once, on the calling thread, when everything is cached. Never blocks.
     */
    public CompletableFuture<DnsblLookup> lookup(InetAddress client, String heloDomain, String senderDomain) {
        Object ck = client != null && has(ZoneKind.CLIENT_IP) ? client : null;
        Object hk = heloDomain != null && has(ZoneKind.RHSBL_HELO) ? heloDomain : null;
        Object sk = senderDomain != null && has(ZoneKind.RHSBL_SENDER) ? senderDomain : null;
        // Hot path: everything cached; nothing allocated but the result.
        DnsblAnswers a = ck == null ? null : cache.done(ZoneKind.CLIENT_IP, ck);
        DnsblAnswers h = hk == null ? null : cache.done(ZoneKind.RHSBL_HELO, hk);
        DnsblAnswers s = sk == null ? null : cache.done(ZoneKind.RHSBL_SENDER, sk);
        if ((ck == null || a != null) && (hk == null || h != null) && (sk == null || s != null)) {
            metrics.dnsblCacheHits((ck == null ? 0 : 1) + (hk == null ? 0 : 1) + (sk == null ? 0 : 1));
            return CompletableFuture.completedFuture(new DnsblLookup(a, h, s));
        }
        CompletableFuture<DnsblAnswers> af = ck == null ? null : a != null ? done(a)
                : cache.target(ZoneKind.CLIENT_IP, client);
        CompletableFuture<DnsblAnswers> hf = hk == null ? null : h != null ? done(h)
                : cache.target(ZoneKind.RHSBL_HELO, heloDomain);
        CompletableFuture<DnsblAnswers> sf = sk == null ? null : s != null ? done(s)
                : cache.target(ZoneKind.RHSBL_SENDER, senderDomain);
        if (isDone(af) && isDone(hf) && isDone(sf)) {
            return CompletableFuture.completedFuture(new DnsblLookup(now(af), now(hf), now(sf)));
        }
        CompletableFuture<DnsblLookup> out = new CompletableFuture<>();
        List<CompletableFuture<?>> parts = new ArrayList<>(3);
        for (CompletableFuture<DnsblAnswers> f : Arrays.asList(af, hf, sf)) {
            if (f != null) {
                parts.add(f);
            }
        }
        CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new))
                .thenRun(() -> out.complete(new DnsblLookup(now(af), now(hf), now(sf))));
        Runnable expire = () -> {
            if (!out.isDone()) {
                out.complete(new DnsblLookup(cache.partial(af, ZoneKind.CLIENT_IP, client),
                        cache.partial(hf, ZoneKind.RHSBL_HELO, heloDomain),
                        cache.partial(sf, ZoneKind.RHSBL_SENDER, senderDomain)));
            }
        };
        ScheduledFuture<?> budget;
        try {
            budget = timer.schedule(() -> executor.execute(expire), settings.timeout().toNanos(),
                    TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            expire.run();
            return out;
        }
        out.whenComplete((v, t) -> budget.cancel(false));
        return out;
    }

    private static CompletableFuture<DnsblAnswers> done(DnsblAnswers a) {
        return CompletableFuture.completedFuture(a);
    }

    private static boolean isDone(CompletableFuture<DnsblAnswers> f) {
        return f == null || f.isDone();
    }

    private static DnsblAnswers now(CompletableFuture<DnsblAnswers> f) {
        return f == null ? null : f.getNow(null);
    }

    /** Answers of every zone of {@code kind} for {@code target} (an {@link InetAddress} or a normalized domain). */
    public CompletableFuture<DnsblAnswers> lookup(ZoneKind kind, Object target) {
        return cache.target(kind, target);
    }

    /**
     * Checks every own address ({@code networks.own-addresses}, {@code dnsbl.own-ips}) against every client-IP zone
     * now, asking the zones afresh. An address counts as listed in a zone when an entry with a weight of 0 or more
     * matches (allowlist listings are good news). Logs and reports (see {@link #startMonitoring}) when an address
     * becomes listed and when it is delisted; a failed lookup keeps the previous state. Returns, per zone, the listed
     * addresses.
     */
    public CompletableFuture<Map<String, List<InetAddress>>> checkOwnIps() {
        return ownIps.check();
    }

    /** Per client-IP zone, our own addresses it currently lists (as of the last check). */
    public Map<String, List<InetAddress>> ownIpsListed() {
        return ownIps.listed();
    }

    /**
     * Starts the background checks on this client's timer: the zones' probe ({@code dnsbl.probe.interval}) and our
     * own addresses ({@code dnsbl.own-ip-check-interval}), both at once and then on their schedules; changes go to
     * {@code watch}. What {@code previous} (the client this one replaces on a reload; may be null) knew is taken
     * over for the zones and addresses both watch, so a listing or a switched-off zone is not reported twice; a zone
     * it did not know scores nothing until its first probe has ended (passed, or got no answer). With probes off
     * ({@code dnsbl.probe.enabled: false}) every zone scores from the start. Stops with {@link #close()}.
     */
    public void startMonitoring(DnsblWatch watch, DnsblClient previous) {
        startMonitoring(watch, previous, true);
    }

    /** {@link #startMonitoring(DnsblWatch, DnsblClient)}; without {@code timer}, only {@link #pollMonitor()} runs it. */
    void startMonitoring(DnsblWatch watch, DnsblClient previous, boolean timer) {
        this.watch = watch == null ? DnsblWatch.NONE : watch;
        if (previous != null) {
            ownIps.inherit(previous.ownIps);
            prober.inherit(previous.prober);
        }
        for (String d : monitor.probing() ? prober.domains() : List.<String>of()) {
            ZoneHealth h = zones.health(d);
            ZoneHealth before = previous == null ? null : previous.zones.health(d);
            String off = before == null ? null : before.switchedOff();
            if (off != null) {
                h.switchOff(off);
            } else if (before == null) {
                h.switchOff(ZoneProber.PENDING);
            }
        }
        if (timer) {
            monitor.start(this.timer);
        }
    }

    /** Runs what of the background checks is due now by this client's time source (tests with a manual clock). */
    CompletableFuture<Void> pollMonitor() {
        return monitor.poll();
    }

    /** What the background checks know now: each zone's state and last probe, our listed addresses. */
    public DnsblStatus status() {
        List<DnsblStatus.ZoneStatus> out = new ArrayList<>();
        for (String d : prober.allDomains()) {
            ZoneHealth h = zones.health(d);
            String off = h.switchedOff();
            String state = off == null ? h.errorCodes() ? "failing" : "scoring"
                    : ZoneProber.PENDING.equals(off) ? "pending" : "switched-off";
            ZoneProber.Result r = prober.last(d);
            out.add(new DnsblStatus.ZoneStatus(d, prober.kinds(d), state, h.whyOff(),
                    prober.exempt(d) ? "exempt" : r == null ? "none" : r.outcome().label(), r == null ? 0 : r.atMillis(),
                    r == null ? null : r.detail()));
        }
        return new DnsblStatus(out, ownIps.addresses(), ownIps.listings(), ownIps.lastCheckMillis(),
                monitor.probing() ? settings.probeInterval().toSeconds() : 0,
                settings.ownIpCheckInterval().toSeconds());
    }

    /**
     * Stops the timer and the thread pool. Lookups still waiting complete with what they have (the timers already
     * scheduled still fire); new queries fail at once with {@link DnsblResult.Reason#CLOSED}. The monitor starts no
     * further round and reports nothing more.
     */
    @Override
    public void close() {
        monitor.close();
        // a round still out reports nothing more: the client replacing this one has taken over
        watch = DnsblWatch.NONE;
        sender.close();
        threads.close();
        metrics.dnsblViewClosed(view);
    }
}
