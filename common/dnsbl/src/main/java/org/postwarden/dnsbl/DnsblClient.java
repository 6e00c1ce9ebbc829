package org.postwarden.dnsbl;

import org.postwarden.dnsbl.zone.CodeFilter;
import org.postwarden.dnsbl.zone.DnsblSettings;
import org.postwarden.dnsbl.zone.DnsblZone;
import org.postwarden.dnsbl.zone.ZoneKind;
import org.postwarden.metrics.PostwardenMetrics;
import org.postwarden.model.TimeSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.ExtendedResolver;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Resolver;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Asks DNSBL/DNSWL/RHSBL zones about client addresses, HELO names and sender domains, without ever blocking the
 * caller: queries go out through dnsjava's asynchronous {@link Resolver#sendAsync(Message, Executor)}, their answers
 * are handled on this client's own small thread pool, and its own timer enforces both the query timeout and the
 * per-decision wait ({@code dnsbl.timeout}).
 *
 * <p>Two caches, both Caffeine, bounded, expiring per entry: answers per query name (TTL from the answer, NXDOMAIN's
 * from the SOA, clamped to {@code min-ttl..max-ttl}; failures for {@code failure-ttl}); and per target a summary of
 * all zones of its kind, valid until its first answer expires, so a repeated lookup costs one cache read. In-flight
 * lookups are shared: a second request for the same target waits for the same queries.
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
    private static final Logger LOG = LoggerFactory.getLogger(DnsblClient.class);
    private static final long OVERLOAD_LOG_EVERY_NANOS = TimeUnit.MINUTES.toNanos(1);

    private final DnsblSettings settings;
    private final Resolver resolver;
    private final PostwardenMetrics metrics;
    private final TimeSource time;
    private final ThreadPoolExecutor pool;
    private final Executor executor;
    private final ScheduledThreadPoolExecutor timer;
    private final Memo<String, Answer> answers;
    private final Map<ZoneKind, Memo<Object, DnsblAnswers>> targets = new EnumMap<>(ZoneKind.class);
    private final Memo<Object, DnsblAnswers> ipTargets;
    private final Memo<Object, DnsblAnswers> heloTargets;
    private final Memo<Object, DnsblAnswers> senderTargets;
    private final Memo<EventKey, DnsblLookup> events;
    private final Semaphore inFlight;
    private final Map<ZoneKind, Zone[]> zones = new EnumMap<>(ZoneKind.class);
    private final Map<String, Health> health = new LinkedHashMap<>();
    private final Map<String, Map<InetAddress, String>> ownListed = new ConcurrentHashMap<>();
    private final PostwardenMetrics.DnsblView view;
    private final AtomicLong lastOverloadLog = new AtomicLong(System.nanoTime() - OVERLOAD_LOG_EVERY_NANOS);
    private volatile boolean closed;

    /** Health of one zone domain, shared by its entries of every kind. */
    static final class Health {
        final AtomicBoolean failing = new AtomicBoolean();
    }

    /** One zone domain of one kind: asked once per target; its entries are matched against the answer. */
    static final class Zone {
        final String domain;
        final String queryDomain;
        final List<DnsblZone> entries;
        final Health health;

        Zone(String domain, String queryDomain, List<DnsblZone> entries, Health health) {
            this.domain = domain;
            this.queryDomain = queryDomain;
            this.entries = entries;
            this.health = health;
        }

        boolean failing() {
            return health.failing.get();
        }
    }

    /** A cached answer: the result and when it stops being valid ({@link TimeSource#nanos()} scale). */
    record Answer(DnsblResult result, long expiresAtNanos) {
    }

    /**
     * Creates a client with the resolver named in {@code settings} (or the system's) and starts no background work;
     * see {@link #startOwnIpMonitor()}.
     */
    public static DnsblClient create(DnsblSettings settings, PostwardenMetrics metrics, TimeSource time) {
        Resolver r = settings.resolver() == null ? new ExtendedResolver() : new SimpleResolver(settings.resolver());
        r.setTimeout(settings.queryTimeout());
        return new DnsblClient(settings, r, metrics, time);
    }

    /** Creates a client that sends its queries to {@code resolver} (tests and benchmarks pass a stub). */
    public DnsblClient(DnsblSettings settings, Resolver resolver, PostwardenMetrics metrics, TimeSource time) {
        this.settings = settings;
        this.resolver = resolver;
        this.metrics = metrics;
        this.time = time;
        AtomicInteger n = new AtomicInteger();
        ThreadFactory threads = r -> {
            Thread t = new Thread(r, "postwarden-dnsbl-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
        this.pool = new ThreadPoolExecutor(2, 2, 0, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), threads);
        this.executor = task -> {
            try {
                pool.execute(task);
            } catch (RejectedExecutionException e) {
                task.run();
            }
        };
        this.timer = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "postwarden-dnsbl-timer");
            t.setDaemon(true);
            return t;
        });
        timer.setRemoveOnCancelPolicy(true);
        this.inFlight = new Semaphore(settings.maxInFlight());
        for (ZoneKind k : ZoneKind.values()) {
            List<Zone> list = new ArrayList<>();
            for (String d : settings.domains(k)) {
                Health h = health.computeIfAbsent(d, x -> new Health());
                List<DnsblZone> entries = settings.zones(k).stream().filter(z -> z.domain().equals(d)).toList();
                list.add(new Zone(d, settings.queryDomain(d), entries, h));
            }
            zones.put(k, list.toArray(Zone[]::new));
        }
        for (Zone z : zones.get(ZoneKind.CLIENT_IP)) {
            ownListed.put(z.domain, new ConcurrentHashMap<>());
        }
        Duration longest = (settings.maxTtl().compareTo(settings.failureTtl()) >= 0 ? settings.maxTtl()
                : settings.failureTtl()).plusSeconds(1);
        this.answers = new Memo<>(settings.cacheSize(), longest, time, executor, Answer::expiresAtNanos);
        // One summary cache per kind, keyed by the address or the domain itself (no wrapper key to build per request).
        for (ZoneKind k : ZoneKind.values()) {
            targets.put(k, new Memo<>(settings.cacheSize(), longest, time, executor, DnsblAnswers::expiresAtNanos));
        }
        this.ipTargets = targets.get(ZoneKind.CLIENT_IP);
        this.heloTargets = targets.get(ZoneKind.RHSBL_HELO);
        this.senderTargets = targets.get(ZoneKind.RHSBL_SENDER);
        this.events = new Memo<>(settings.cacheSize(), longest, time, executor, DnsblLookup::expiresAtNanos);
        this.view = new PostwardenMetrics.DnsblView() {
            @Override
            public double zoneFailing(String zone) {
                Health h = health.get(zone);
                return h != null && h.failing.get() ? 1 : 0;
            }

            @Override
            public double ownIpListed(String zone) {
                Map<InetAddress, String> m = ownListed.get(zone);
                return m == null ? 0 : m.size();
            }
        };
        metrics.dnsblView(health.keySet(), view);
    }

    public DnsblSettings settings() {
        return settings;
    }

    /** Whether any zone of {@code kind} is configured. */
    public boolean has(ZoneKind kind) {
        return zones.get(kind).length > 0;
    }

    /** Whether {@code domain} is currently marked failing (it answered query-error codes). */
    public boolean failing(String domain) {
        Health h = health.get(domain);
        return h != null && h.failing.get();
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
        DnsblLookup done = events.getDone(key);
        if (done != null) {
            metrics.dnsblCacheHits((done.client() == null ? 0 : 1) + (done.helo() == null ? 0 : 1)
                    + (done.sender() == null ? 0 : 1));
            return CompletableFuture.completedFuture(done);
        }
        return events.get(key, k -> lookup(k.client(), k.helo() == null ? null : QueryNames.normalizeDomain(k.helo()),
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
        DnsblAnswers a = ck == null ? null : ipTargets.getDone(ck);
        DnsblAnswers h = hk == null ? null : heloTargets.getDone(hk);
        DnsblAnswers s = sk == null ? null : senderTargets.getDone(sk);
        if ((ck == null || a != null) && (hk == null || h != null) && (sk == null || s != null)) {
            metrics.dnsblCacheHits((ck == null ? 0 : 1) + (hk == null ? 0 : 1) + (sk == null ? 0 : 1));
            return CompletableFuture.completedFuture(new DnsblLookup(a, h, s));
        }
        CompletableFuture<DnsblAnswers> af = ck == null ? null : a != null ? done(a)
                : target(ZoneKind.CLIENT_IP, client);
        CompletableFuture<DnsblAnswers> hf = hk == null ? null : h != null ? done(h)
                : target(ZoneKind.RHSBL_HELO, heloDomain);
        CompletableFuture<DnsblAnswers> sf = sk == null ? null : s != null ? done(s)
                : target(ZoneKind.RHSBL_SENDER, senderDomain);
        if (isDone(af) && isDone(hf) && isDone(sf)) {
            return CompletableFuture.completedFuture(new DnsblLookup(now(af), now(hf), now(sf)));
        }
        CompletableFuture<DnsblLookup> out = new CompletableFuture<>();
        List<CompletableFuture<?>> parts = new ArrayList<>(3);
        for (CompletableFuture<DnsblAnswers> f : java.util.Arrays.asList(af, hf, sf)) {
            if (f != null) {
                parts.add(f);
            }
        }
        CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new))
                .thenRun(() -> out.complete(new DnsblLookup(now(af), now(hf), now(sf))));
        Runnable expire = () -> {
            if (!out.isDone()) {
                out.complete(new DnsblLookup(partial(af, ZoneKind.CLIENT_IP, client),
                        partial(hf, ZoneKind.RHSBL_HELO, heloDomain),
                        partial(sf, ZoneKind.RHSBL_SENDER, senderDomain)));
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
        return target(kind, target);
    }

    private CompletableFuture<DnsblAnswers> target(ZoneKind kind, Object target) {
        Memo<Object, DnsblAnswers> memo = targets.get(kind);
        CompletableFuture<DnsblAnswers> f = memo.getIfPresent(target);
        if (f != null) {
            metrics.dnsblCache(true);
            return f;
        }
        metrics.dnsblCache(false);
        return memo.get(target, k -> resolve(kind, target));
    }

    private static String prefix(ZoneKind kind, Object target) {
        return kind == ZoneKind.CLIENT_IP ? QueryNames.reversed((InetAddress) target) : (String) target;
    }

    private static String display(ZoneKind kind, Object target) {
        return kind == ZoneKind.CLIENT_IP ? ((InetAddress) target).getHostAddress() : (String) target;
    }

    private CompletableFuture<DnsblAnswers> resolve(ZoneKind kind, Object target) {
        Zone[] zs = zones.get(kind);
        String prefix = prefix(kind, target);
        String shown = display(kind, target);
        @SuppressWarnings({"unchecked", "rawtypes"})
        CompletableFuture<Answer>[] fs = new CompletableFuture[zs.length];
        for (int i = 0; i < zs.length; i++) {
            Zone z = zs[i];
            String name = prefix + "." + z.queryDomain;
            if (name.length() > 253) {
                fs[i] = CompletableFuture.completedFuture(new Answer(DnsblResult.NOT_LISTED, time.nanos()
                        + settings.maxTtl().toNanos()));
                continue;
            }
            fs[i] = answers.get(name, n -> query(z, n, shown));
        }
        return CompletableFuture.allOf(fs).thenApply(v -> {
            DnsblResult[] results = new DnsblResult[zs.length];
            long expires = Long.MAX_VALUE;
            for (int i = 0; i < zs.length; i++) {
                Answer a = fs[i].join();
                results[i] = a.result();
                expires = Math.min(expires, a.expiresAtNanos());
            }
            return new DnsblAnswers(kind, shown, zs, results, expires);
        });
    }

    /** What is known for a target whose lookup has not finished: answered zones, and timeouts for the rest. */
    private DnsblAnswers partial(CompletableFuture<DnsblAnswers> f, ZoneKind kind, Object target) {
        if (f == null) {
            return null;
        }
        if (f.isDone()) {
            return f.getNow(null);
        }
        Zone[] zs = zones.get(kind);
        String prefix = prefix(kind, target);
        DnsblResult[] results = new DnsblResult[zs.length];
        for (int i = 0; i < zs.length; i++) {
            Answer a = answers.getDone(prefix + "." + zs[i].queryDomain);
            if (a != null) {
                results[i] = a.result();
            } else {
                metrics.dnsblTimeout(zs[i].domain, "decision");
                results[i] = new DnsblResult.Failed(DnsblResult.Reason.TIMEOUT, "no answer from "
                        + zs[i].domain + " within dnsbl.timeout (" + settings.timeout().toMillis() + "ms)");
            }
        }
        return new DnsblAnswers(kind, display(kind, target), zs, results, time.nanos());
    }

    private CompletableFuture<Answer> query(Zone z, String name, String shown) {
        long now = time.nanos();
        if (closed) {
            return CompletableFuture.completedFuture(new Answer(new DnsblResult.Failed(DnsblResult.Reason.CLOSED,
                    "DNSBL client closed (configuration reloaded or shutting down)"), now));
        }
        if (!inFlight.tryAcquire()) {
            metrics.dnsblError(z.domain, DnsblResult.Reason.OVERLOAD.label());
            long t = System.nanoTime();
            long last = lastOverloadLog.get();
            if (t - last >= OVERLOAD_LOG_EVERY_NANOS && lastOverloadLog.compareAndSet(last, t)) {
                LOG.warn("DNSBL: {} queries in flight (dnsbl.max-in-flight); new lookups score nothing until "
                        + "answers come back", settings.maxInFlight());
            }
            return CompletableFuture.completedFuture(new Answer(new DnsblResult.Failed(DnsblResult.Reason.OVERLOAD,
                    "more than dnsbl.max-in-flight (" + settings.maxInFlight() + ") queries in flight"), now));
        }
        metrics.dnsblQuery(z.domain);
        long start = System.nanoTime();
        CompletableFuture<Answer> out = new CompletableFuture<>();
        out.whenComplete((a, t) -> {
            inFlight.release();
            metrics.dnsblLatency(z.domain, System.nanoTime() - start);
        });
        ScheduledFuture<?> timeout;
        try {
            timeout = timer.schedule(() -> executor.execute(() -> {
                if (!out.isDone()) {
                    out.complete(timedOut(z));
                }
            }), settings.queryTimeout().toNanos(), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            out.complete(new Answer(new DnsblResult.Failed(DnsblResult.Reason.CLOSED, "DNSBL client closed"), now));
            return out;
        }
        out.whenComplete((a, t) -> timeout.cancel(false));
        CompletableFuture<Message> sent;
        try {
            Message q = Message.newQuery(org.xbill.DNS.Record.newRecord(Name.fromString(name + "."), Type.A,
                    DClass.IN));
            sent = resolver.sendAsync(q, executor).toCompletableFuture();
        } catch (IOException | RuntimeException e) {
            sent = CompletableFuture.failedFuture(e);
        }
        sent.whenComplete((m, t) -> {
            if (out.isDone()) {
                return;
            }
            try {
                out.complete(m != null ? interpret(z, m, shown) : failure(z, t));
            } catch (RuntimeException e) {
                out.complete(failure(z, e));
            }
        });
        return out;
    }

    private Answer timedOut(Zone z) {
        metrics.dnsblTimeout(z.domain, "query");
        return new Answer(new DnsblResult.Failed(DnsblResult.Reason.TIMEOUT, "no answer from the resolver within "
                + "dnsbl.query-timeout (" + settings.queryTimeout().toMillis() + "ms)"),
                time.nanos() + settings.failureTtl().toNanos());
    }

    private Answer failure(Zone z, Throwable t) {
        Throwable c = t;
        while ((c instanceof CompletionException || c instanceof ExecutionException) && c.getCause() != null) {
            c = c.getCause();
        }
        if (c instanceof SocketTimeoutException || c instanceof TimeoutException) {
            return timedOut(z);
        }
        long expires = time.nanos() + settings.failureTtl().toNanos();
        if (c instanceof RejectedExecutionException) {
            return new Answer(new DnsblResult.Failed(DnsblResult.Reason.CLOSED, "DNSBL client closed"), time.nanos());
        }
        metrics.dnsblError(z.domain, DnsblResult.Reason.NETWORK.label());
        String detail = settings.redact(String.valueOf(c));
        LOG.debug("DNSBL query to {} failed: {}", z.domain, detail);
        return new Answer(new DnsblResult.Failed(DnsblResult.Reason.NETWORK, detail), expires);
    }

    private Answer interpret(Zone z, Message m, String shown) {
        long now = time.nanos();
        int rcode = m.getRcode();
        if (rcode == Rcode.NXDOMAIN) {
            healthy(z);
            return new Answer(DnsblResult.NOT_LISTED, now + clamp(negativeTtl(m)));
        }
        if (rcode != Rcode.NOERROR) {
            DnsblResult.Reason r = rcode == Rcode.SERVFAIL ? DnsblResult.Reason.SERVFAIL : DnsblResult.Reason.RCODE;
            metrics.dnsblError(z.domain, r.label());
            return new Answer(new DnsblResult.Failed(r, "resolver answered " + Rcode.string(rcode)),
                    now + settings.failureTtl().toNanos());
        }
        List<Inet4Address> codes = new ArrayList<>(2);
        long ttl = Long.MAX_VALUE;
        for (org.xbill.DNS.Record r : m.getSection(Section.ANSWER)) {
            if (r instanceof ARecord a && a.getAddress() instanceof Inet4Address v4) {
                codes.add(bare(v4));
                ttl = Math.min(ttl, r.getTTL());
            }
        }
        if (codes.isEmpty()) {
            healthy(z);
            return new Answer(DnsblResult.NOT_LISTED, now + clamp(negativeTtl(m)));
        }
        for (Inet4Address code : codes) {
            if (errorCode(code)) {
                metrics.dnsblError(z.domain, DnsblResult.Reason.ERROR_CODE.label());
                markFailing(z, code, shown);
                return new Answer(new DnsblResult.Failed(DnsblResult.Reason.ERROR_CODE, "zone " + z.domain
                        + " answered " + code.getHostAddress() + ", a query-error code (not a listing)"),
                        now + settings.failureTtl().toNanos());
            }
        }
        healthy(z);
        metrics.dnsblListing(z.domain);
        return new Answer(new DnsblResult.Listed(codes), now + clamp(ttl));
    }

    /**
     * The address without the host name dnsjava attaches (the record's owner name, which holds the query name and so
     * the DQS key: it would show in every {@code toString()}).
     */
    private static Inet4Address bare(Inet4Address a) {
        try {
            return (Inet4Address) InetAddress.getByAddress(a.getAddress());
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException("4-byte address refused", e);
        }
    }

    /** Anything outside 127.0.0.0/8, and the configured error codes. */
    boolean errorCode(Inet4Address code) {
        if ((code.getAddress()[0] & 0xFF) != 127) {
            return true;
        }
        for (CodeFilter f : settings.errorCodes()) {
            if (f.matches(code)) {
                return true;
            }
        }
        return false;
    }

    private long negativeTtl(Message m) {
        for (org.xbill.DNS.Record r : m.getSection(Section.AUTHORITY)) {
            if (r instanceof SOARecord soa) {
                return Math.min(soa.getTTL(), soa.getMinimum());
            }
        }
        return settings.minTtl().toSeconds();
    }

    /** {@code seconds} clamped to min-ttl..max-ttl, in nanoseconds. */
    long clamp(long seconds) {
        long ns = TimeUnit.SECONDS.toNanos(Math.max(0, seconds));
        return Math.max(settings.minTtl().toNanos(), Math.min(settings.maxTtl().toNanos(), ns));
    }

    private void markFailing(Zone z, Inet4Address code, String shown) {
        if (z.health.failing.compareAndSet(false, true)) {
            LOG.warn("DNSBL zone {} is failing: it answered {} for {}, a query-error code (a typo in the zone name, "
                    + "queries through a public resolver refused, or over quota); it scores nothing until it answers "
                    + "sanely again", z.domain, code.getHostAddress(), shown);
        }
    }

    private void healthy(Zone z) {
        if (z.health.failing.get() && z.health.failing.compareAndSet(true, false)) {
            LOG.info("DNSBL zone {} answers sanely again; its listings count again", z.domain);
        }
    }

    /**
     * Checks every own outbound address ({@code dnsbl.own-ips}) against every client-IP zone now. An address counts
     * as listed in a zone when an entry with a weight of 0 or more matches (allowlist listings are good news).
     * Logs a warning when an address becomes listed and a line when it is delisted; a failed lookup keeps the
     * previous state. Returns, per zone, the listed addresses.
     */
    public CompletableFuture<Map<String, List<InetAddress>>> checkOwnIps() {
        Zone[] zs = zones.get(ZoneKind.CLIENT_IP);
        List<InetAddress> ips = settings.ownIps();
        if (zs.length == 0 || ips.isEmpty() || closed) {
            return CompletableFuture.completedFuture(ownIpsListed());
        }
        List<CompletableFuture<DnsblAnswers>> fs = new ArrayList<>(ips.size());
        for (InetAddress ip : ips) {
            fs.add(target(ZoneKind.CLIENT_IP, ip));
        }
        return CompletableFuture.allOf(fs.toArray(CompletableFuture[]::new)).thenApply(v -> {
            for (int i = 0; i < ips.size(); i++) {
                updateOwn(zs, ips.get(i), fs.get(i).join());
            }
            return ownIpsListed();
        });
    }

    private void updateOwn(Zone[] zs, InetAddress ip, DnsblAnswers a) {
        for (Zone z : zs) {
            DnsblResult r = a.result(z.domain);
            if (r == null || r instanceof DnsblResult.Failed) {
                continue;
            }
            String codes = null;
            if (r instanceof DnsblResult.Listed l && !z.failing()) {
                for (DnsblZone e : z.entries) {
                    if (e.weight() >= 0 && e.matches(l.codes())) {
                        codes = l.codesText();
                        break;
                    }
                }
            }
            Map<InetAddress, String> m = ownListed.get(z.domain);
            if (codes != null) {
                if (m.put(ip, codes) == null) {
                    LOG.warn("our outbound address {} is listed in DNSBL zone {} ({}): mail we send may be refused",
                            ip.getHostAddress(), z.domain, codes);
                }
            } else if (m.remove(ip) != null) {
                LOG.info("our outbound address {} is no longer listed in DNSBL zone {}", ip.getHostAddress(),
                        z.domain);
            }
        }
    }

    /** Per client-IP zone, our own addresses it currently lists (as of the last check). */
    public Map<String, List<InetAddress>> ownIpsListed() {
        Map<String, List<InetAddress>> out = new LinkedHashMap<>();
        for (Zone z : zones.get(ZoneKind.CLIENT_IP)) {
            out.put(z.domain, List.copyOf(ownListed.get(z.domain).keySet()));
        }
        return Collections.unmodifiableMap(out);
    }

    /**
     * Starts the periodic own-IP check ({@code dnsbl.own-ip-check-interval}, first run at once) on this client's
     * timer, when own addresses and client-IP zones are configured. Stops with {@link #close()}.
     */
    public void startOwnIpMonitor() {
        if (settings.ownIps().isEmpty() || !has(ZoneKind.CLIENT_IP) || closed) {
            return;
        }
        long every = settings.ownIpCheckInterval().toMillis();
        timer.scheduleWithFixedDelay(() -> {
            try {
                checkOwnIps().whenComplete((r, t) -> {
                    if (t != null) {
                        LOG.warn("own-IP DNSBL check failed: {}", settings.redact(t.toString()));
                    }
                });
            } catch (RuntimeException e) {
                LOG.warn("own-IP DNSBL check failed: {}", settings.redact(e.toString()));
            }
        }, 0, every, TimeUnit.MILLISECONDS);
        LOG.info("checking {} own address(es) against {} DNSBL zone(s) every {}", settings.ownIps().size(),
                zones.get(ZoneKind.CLIENT_IP).length, Duration.ofMillis(every));
    }

    /**
     * Stops the timer and the thread pool. Lookups still waiting complete with what they have (the timers already
     * scheduled still fire); new queries fail at once with {@link DnsblResult.Reason#CLOSED}.
     */
    @Override
    public void close() {
        closed = true;
        timer.shutdown();
        pool.shutdown();
        metrics.dnsblViewClosed(view);
    }
}
