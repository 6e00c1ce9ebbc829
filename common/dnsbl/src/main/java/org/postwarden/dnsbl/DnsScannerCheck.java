package org.postwarden.dnsbl;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import org.postwarden.config.HostPort;
import org.postwarden.config.PostwardenConfig;
import org.postwarden.model.Addresses;
import org.postwarden.model.TimeSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.ExtendedResolver;
import org.xbill.DNS.Resolver;
import org.xbill.DNS.SimpleResolver;

import java.net.InetAddress;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;

/**
 * Research scanners by forward-confirmed reverse DNS ({@link ReverseDns}), asynchronously (dnsjava {@code sendAsync}
 * on two daemon threads of its own, never an event loop): the PTR names of the address; those ending in a configured
 * suffix (shodan.io, censys-scanner.com, ...) are looked up forward (A or AAAA), and the first that resolves back to
 * the address is the answer. Answers, positive or negative, are cached for {@code bans.scanners.cache-ttl}; concurrent
 * lookups of one address share one query. A lookup that fails or exceeds {@code bans.scanners.timeout} is "not a
 * scanner" (and is not cached, so it is asked again next time). Thread-safe.
 */
public final class DnsScannerCheck implements ScannerCheck, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DnsScannerCheck.class);
    private final Duration timeout;
    private final UnaryOperator<String> suffix;
    private final Cache<InetAddress, Optional<String>> cache;
    private final Map<InetAddress, CompletableFuture<Optional<String>>> inFlight = new ConcurrentHashMap<>();
    private final ExecutorService executor;
    private final ReverseDns reverse;

    /**
     * @param resolver where queries go
     * @param timeout  per lookup (PTR and forward together)
     * @param cacheTtl how long answers are kept
     * @param suffix   the matching scanner suffix of a host name, or null when it is none (from the current rules)
     * @param time     clock of the cache
     */
    public DnsScannerCheck(Resolver resolver, Duration timeout, Duration cacheTtl, UnaryOperator<String> suffix,
            TimeSource time) {
        this.timeout = timeout;
        this.suffix = suffix;
        this.cache = Caffeine.newBuilder().maximumSize(100_000).expireAfterWrite(cacheTtl).ticker(time::nanos)
                .build();
        AtomicInteger n = new AtomicInteger();
        this.executor = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "postwarden-rdns-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.reverse = new ReverseDns(resolver, executor);
    }

    /** A check on the resolver of {@code bans.scanners} ("" = the system's). */
    public static DnsScannerCheck create(PostwardenConfig.Scanners config, UnaryOperator<String> suffix,
            TimeSource time) {
        Resolver r = config.resolver().isBlank() ? new ExtendedResolver()
                : new SimpleResolver(HostPort.parse(config.resolver()).socketAddress());
        r.setTimeout(config.timeout());
        return new DnsScannerCheck(r, config.timeout(), config.cacheTtl(), suffix, time);
    }

    @Override
    public Optional<String> cached(InetAddress address) {
        return cache.getIfPresent(address);
    }

    @Override
    public CompletionStage<Optional<String>> scanner(InetAddress address) {
        Optional<String> hit = cache.getIfPresent(address);
        if (hit != null) {
            return CompletableFuture.completedFuture(hit);
        }
        CompletableFuture<Optional<String>> mine = new CompletableFuture<>();
        CompletableFuture<Optional<String>> running = inFlight.putIfAbsent(address, mine);
        if (running != null) {
            return running;
        }
        CompletionStage<Optional<String>> started;
        try {
            started = lookup(address);
        } catch (RuntimeException e) {
            started = CompletableFuture.failedFuture(e);
        }
        started.toCompletableFuture().orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS).whenComplete((v, err) -> {
            Optional<String> result;
            if (err != null || v == null) {
                LOG.debug("scanner lookup of {} failed: {}", Addresses.format(address), String.valueOf(err));
                result = Optional.empty();
            } else {
                cache.put(address, v);
                result = v;
            }
            inFlight.remove(address, mine);
            mine.complete(result);
        });
        return mine;
    }

    private CompletionStage<Optional<String>> lookup(InetAddress a) {
        return reverse.confirmed(a, name -> suffix.apply(name) != null);
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
