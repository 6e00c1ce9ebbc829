package org.postwarden.dnsbl;

import org.postwarden.dnsbl.zone.DnsblSettings;
import org.postwarden.dnsbl.zone.ZoneKind;
import org.postwarden.metrics.PostwardenMetrics;
import org.postwarden.model.Addresses;
import org.postwarden.model.TimeSource;

import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Function;

/**
 * What is known, and what is being asked: three {@link Memo}s (bounded, each value valid until its own expiry,
 * computations in flight shared by every caller that asks meanwhile). Answers per query name (a zone asked once
 * per target, whatever asks it); per kind and target the summary of every zone of that kind ({@link DnsblAnswers},
 * valid until its first answer expires, so a repeated lookup costs one cache read); and per event
 * ({@link EventKey}) the whole {@link DnsblLookup}. A missing answer is asked through the {@link QuerySender}.
 * Thread-safe; never blocks.
 */
final class AnswerCache {
    private final DnsblSettings settings;
    private final ZoneTable zones;
    private final QuerySender sender;
    private final PostwardenMetrics metrics;
    private final TimeSource time;
    private final Memo<String, ZoneAnswer> answers;
    /** One summary memo per kind (by ordinal), keyed by the address or the domain itself (no wrapper key). */
    private final List<Memo<Object, DnsblAnswers>> targets;
    private final Memo<EventKey, DnsblLookup> events;

    AnswerCache(DnsblSettings settings, ZoneTable zones, QuerySender sender, PostwardenMetrics metrics,
            TimeSource time, Executor executor) {
        this.settings = settings;
        this.zones = zones;
        this.sender = sender;
        this.metrics = metrics;
        this.time = time;
        Duration longest = (settings.maxTtl().compareTo(settings.failureTtl()) >= 0 ? settings.maxTtl()
                : settings.failureTtl()).plusSeconds(1);
        this.answers = new Memo<>(settings.cacheSize(), longest, time, executor, ZoneAnswer::expiresAtNanos);
        List<Memo<Object, DnsblAnswers>> t = new ArrayList<>();
        for (int i = 0; i < ZoneKind.values().length; i++) {
            t.add(new Memo<>(settings.cacheSize(), longest, time, executor, DnsblAnswers::expiresAtNanos));
        }
        this.targets = List.copyOf(t);
        this.events = new Memo<>(settings.cacheSize(), longest, time, executor, DnsblLookup::expiresAtNanos);
    }

    /** The cached, still valid lookup of {@code key}, or null (counts nothing). */
    DnsblLookup doneEvent(EventKey key) {
        return events.getDone(key);
    }

    /** The lookup of {@code key}: cached, in flight, or started with {@code lookup}. */
    CompletableFuture<DnsblLookup> event(EventKey key, Function<EventKey, CompletableFuture<DnsblLookup>> lookup) {
        return events.get(key, lookup);
    }

    /** The cached, still valid summary of {@code kind} for {@code target}, or null (counts nothing). */
    DnsblAnswers done(ZoneKind kind, Object target) {
        return targets.get(kind.ordinal()).getDone(target);
    }

    /**
     * Answers of every zone of {@code kind} for {@code target} (an {@link InetAddress} or a normalized domain):
     * cached, in flight, or asked now (counted as a cache hit or miss).
     */
    CompletableFuture<DnsblAnswers> target(ZoneKind kind, Object target) {
        Memo<Object, DnsblAnswers> memo = targets.get(kind.ordinal());
        CompletableFuture<DnsblAnswers> f = memo.getIfPresent(target);
        if (f != null) {
            metrics.dnsblCache(true);
            return f;
        }
        metrics.dnsblCache(false);
        return memo.get(target, k -> resolve(kind, target));
    }

    private CompletableFuture<DnsblAnswers> resolve(ZoneKind kind, Object target) {
        Zone[] zs = zones.of(kind);
        String prefix = prefix(kind, target);
        String shown = display(kind, target);
        @SuppressWarnings({"unchecked", "rawtypes"})
        CompletableFuture<ZoneAnswer>[] fs = new CompletableFuture[zs.length];
        for (int i = 0; i < zs.length; i++) {
            Zone z = zs[i];
            String name = prefix + "." + z.queryDomain;
            if (name.length() > 253) {
                fs[i] = CompletableFuture.completedFuture(new ZoneAnswer(DnsblResult.NOT_LISTED, time.nanos()
                        + settings.maxTtl().toNanos()));
                continue;
            }
            fs[i] = answers.get(name, n -> sender.query(kind, z, n, shown));
        }
        return CompletableFuture.allOf(fs).thenApply(v -> {
            DnsblResult[] results = new DnsblResult[zs.length];
            long expires = Long.MAX_VALUE;
            for (int i = 0; i < zs.length; i++) {
                ZoneAnswer a = fs[i].join();
                results[i] = a.result();
                expires = Math.min(expires, a.expiresAtNanos());
            }
            return new DnsblAnswers(kind, shown, zs, results, expires);
        });
    }

    /**
     * What is known for a target whose lookup {@code f} has not finished: the zones answered so far, and timeouts
     * ({@code dnsbl.timeout}, counted as phase "decision") for the rest. Null for a null {@code f}.
     */
    DnsblAnswers partial(CompletableFuture<DnsblAnswers> f, ZoneKind kind, Object target) {
        if (f == null) {
            return null;
        }
        if (f.isDone()) {
            return f.getNow(null);
        }
        Zone[] zs = zones.of(kind);
        String prefix = prefix(kind, target);
        DnsblResult[] results = new DnsblResult[zs.length];
        for (int i = 0; i < zs.length; i++) {
            ZoneAnswer a = answers.getDone(prefix + "." + zs[i].queryDomain);
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

    /** The query name's part in front of the zone: the reversed address, or the domain. */
    private static String prefix(ZoneKind kind, Object target) {
        return kind == ZoneKind.CLIENT_IP ? QueryNames.reversed((InetAddress) target) : (String) target;
    }

    /** The target as logs and explanations show it. */
    private static String display(ZoneKind kind, Object target) {
        return kind == ZoneKind.CLIENT_IP ? Addresses.format((InetAddress) target) : (String) target;
    }
}
