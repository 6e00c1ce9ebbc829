package org.postwarden.dnsbl;

import org.postwarden.metrics.PostwardenMetrics;
import org.postwarden.model.TimeSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.ExtendedResolver;
import org.xbill.DNS.Resolver;
import org.xbill.DNS.SimpleResolver;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The DNS side of greylisting's sender pools: which pool an address belongs to by its PTR name, and which addresses
 * a sender domain's SPF record authorizes. Asynchronous, never blocking its caller: dnsjava's {@code sendAsync}
 * with answers handled on two threads of its own ({@code postwarden-pools-*}) and its own timer for the per-request
 * budget ({@link #withinBudget}). Answers, positive and negative, are cached for {@code cache-ttl}, failures for a
 * minute (resolver errors and timeouts; for SPF also SERVFAIL, while a PTR query answered SERVFAIL counts as no name,
 * as in the scanner check); lookups in flight are shared ({@link Memo}), and go on after a request stopped waiting, filling the
 * cache for the next one.
 *
 * <ul>
 * <li>{@link #ptrDomain}: the registered domain ({@link RegisteredDomains}) of the address's forward-confirmed PTR
 * name ({@link ReverseDns}, the research-scanner check's lookup), unless that name embeds the address (an access
 * network's generic name such as {@code dsl-198-51-100-7.example.net}: its neighbours are other customers, not one
 * sender's pool).</li>
 * <li>{@link #spf}: the sender domain's SPF record walked ({@link SpfWalker}) to an {@link SpfPolicy}.</li>
 * </ul>
 * Thread-safe.
 */
public final class SenderPools implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SenderPools.class);
    static final Duration FAILURE_TTL = Duration.ofMinutes(1);
    private static final long CACHE_SIZE = 100_000;

    /** A cached value with the time it stops being valid ({@link TimeSource} nanoseconds). */
    private record Expiring<V>(V value, long deadlineNanos) {
    }

    private final PoolSettings settings;
    private final PostwardenMetrics metrics;
    private final TimeSource time;
    private final DnsThreads threads;
    private final Executor executor;
    private final ScheduledExecutorService timer;
    private final ReverseDns reverse;
    private final SpfWalker walker;
    private final RegisteredDomains domains;
    private final Memo<InetAddress, Expiring<Optional<String>>> ptr;
    private final Memo<String, Expiring<SpfPolicy>> spf;

    /**
     * Lookups on the resolver of {@code settings}, registered domains from its Public Suffix List (a file that
     * cannot be read is logged, and the built-in approximation used).
     */
    public static SenderPools create(PoolSettings settings, PostwardenMetrics metrics, TimeSource time) {
        Resolver r = settings.resolver() == null ? new ExtendedResolver() : new SimpleResolver(settings.resolver());
        r.setTimeout(settings.queryTimeout());
        RegisteredDomains d = RegisteredDomains.approximation();
        if (!settings.publicSuffixList().isBlank()) {
            try {
                d = RegisteredDomains.load(Path.of(settings.publicSuffixList()));
            } catch (IOException | RuntimeException e) {
                LOG.warn("greylist.pools.public-suffix-list {} cannot be read ({}): registered domains of PTR names "
                        + "are approximated (the last two labels, three under e.g. co.uk); install Debian package "
                        + "publicsuffix", settings.publicSuffixList(), e.toString());
            }
        }
        return new SenderPools(settings, r, d, metrics, time);
    }

    /** Lookups on {@code resolver} (tests pass recorded answers). */
    public SenderPools(PoolSettings settings, Resolver resolver, RegisteredDomains domains, PostwardenMetrics metrics,
            TimeSource time) {
        this.settings = settings;
        this.metrics = metrics;
        this.time = time;
        this.domains = domains;
        this.threads = new DnsThreads("postwarden-pools");
        this.executor = threads.executor();
        this.timer = threads.timer();
        this.reverse = new ReverseDns(resolver, executor);
        this.walker = new SpfWalker(resolver, executor);
        Duration longest = settings.cacheTtl().compareTo(FAILURE_TTL) >= 0 ? settings.cacheTtl() : FAILURE_TTL;
        this.ptr = new Memo<>(CACHE_SIZE, longest.plusSeconds(1), time, executor, Expiring::deadlineNanos);
        this.spf = new Memo<>(CACHE_SIZE, longest.plusSeconds(1), time, executor, Expiring::deadlineNanos);
    }

    public PoolSettings settings() {
        return settings;
    }

    /** Whether registered domains come from a Public Suffix List (false: the approximation). */
    public boolean publicSuffixList() {
        return domains.fromList();
    }

    /**
     * The pool of {@code address} by reverse DNS: the registered domain of its first forward-confirmed PTR name, or
     * empty when it has none, the name embeds the address, or the lookup failed. Completes normally, at once when
     * cached.
     */
    public CompletableFuture<Optional<String>> ptrDomain(InetAddress address) {
        return ptr.get(address, a -> {
            CompletableFuture<Expiring<Optional<String>>> out = new CompletableFuture<>();
            CompletableFuture<Optional<String>> started;
            try {
                started = reverse.confirmed(a, name -> true).toCompletableFuture();
            } catch (RuntimeException e) {
                started = CompletableFuture.failedFuture(e);
            }
            started.whenComplete((name, t) -> {
                if (t != null || name == null) {
                    metrics.greylistLookup("ptr", "error");
                    out.complete(new Expiring<>(Optional.empty(), deadline(FAILURE_TTL)));
                    return;
                }
                String d = name.filter(x -> !embedsAddress(x, a)).map(domains::of).orElse(null);
                metrics.greylistLookup("ptr", d != null ? "found" : name.isEmpty() ? "none" : "generic");
                out.complete(new Expiring<>(Optional.ofNullable(d), deadline(settings.cacheTtl())));
            });
            return out;
        }).thenApply(Expiring::value);
    }

    /** The SPF policy of {@code domain} (a sender domain, any case). Completes normally, at once when cached. */
    public CompletableFuture<SpfPolicy> spf(String domain) {
        String d = domain.toLowerCase(Locale.ROOT);
        return spf.get(d, k -> walker.walk(k).handle((p, t) -> {
            SpfPolicy v = p != null ? p : SpfPolicy.failed(k, SpfPolicy.Status.TEMPERROR, String.valueOf(t));
            metrics.greylistLookup("spf", v.status().label());
            return new Expiring<>(v, deadline(v.status() == SpfPolicy.Status.TEMPERROR ? FAILURE_TTL
                    : settings.cacheTtl()));
        })).thenApply(Expiring::value);
    }

    /**
     * {@code f}'s value, or {@code fallback} when {@code f} has not completed within {@code greylist.pools.timeout}
     * (or failed). Completes at once when {@code f} is done; a late completion runs on this object's threads.
     */
    public <T> CompletableFuture<T> withinBudget(CompletableFuture<T> f, T fallback) {
        if (f.isDone()) {
            return CompletableFuture.completedFuture(f.isCompletedExceptionally() ? fallback : f.join());
        }
        CompletableFuture<T> out = new CompletableFuture<>();
        f.whenComplete((v, t) -> out.complete(t == null ? v : fallback));
        ScheduledFuture<?> budget;
        try {
            budget = timer.schedule(() -> executor.execute(() -> out.complete(fallback)),
                    settings.timeout().toNanos(), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            out.complete(fallback);
            return out;
        }
        out.whenComplete((v, t) -> budget.cancel(false));
        return out;
    }

    private long deadline(Duration ttl) {
        return time.nanos() + ttl.toNanos();
    }

    /**
     * Whether host name {@code name} embeds IPv4 address {@code a}: its four octets appear as consecutive numbers
     * in it, in order or reversed ({@code dsl-198-51-100-7.example.net}, {@code 7.100.51.198.static.example.net},
     * {@code c-198-51-100-7.hsd1.example.com}). Always false for IPv6 (not recognised).
     */
    static boolean embedsAddress(String name, InetAddress a) {
        if (!(a instanceof Inet4Address)) {
            return false;
        }
        byte[] b = a.getAddress();
        List<Integer> numbers = new ArrayList<>();
        int i = 0;
        while (i < name.length()) {
            if (Character.isDigit(name.charAt(i))) {
                int j = i;
                while (j < name.length() && Character.isDigit(name.charAt(j)) && j - i < 4) {
                    j++;
                }
                numbers.add(Integer.parseInt(name.substring(i, j)));
                i = j;
            } else {
                i++;
            }
        }
        for (int k = 0; k + 4 <= numbers.size(); k++) {
            boolean forward = true;
            boolean backward = true;
            for (int m = 0; m < 4; m++) {
                forward &= numbers.get(k + m) == (b[m] & 0xFF);
                backward &= numbers.get(k + m) == (b[3 - m] & 0xFF);
            }
            if (forward || backward) {
                return true;
            }
        }
        return false;
    }

    /**
     * Stops the timer and the threads once their work is done: requests still waiting get their answer or their
     * fallback when the budget ends (timers already scheduled still fire); new lookups are then answered on the
     * caller's thread as the resolver completes them.
     */
    @Override
    public void close() {
        threads.close();
    }
}
