package org.postwarden.dnsbl;

import org.postwarden.config.Durations;
import org.postwarden.model.TimeSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The schedule of the DNSBL client's background checks: the zones' RFC 5782 probe ({@link ZoneProber}, every
 * {@code dnsbl.probe.interval}) and our own addresses ({@link OwnIpMonitor}, every
 * {@code dnsbl.own-ip-check-interval}), both first at start-up. What is due is decided by the injected
 * {@link TimeSource} in {@link #poll()}; the client's timer calls it every {@link #TICK} (tests call it
 * themselves after moving a manual clock). One round at a time: a poll while a round is out does nothing. In a
 * round the probe goes first, so that an own-address check never takes a listing of a zone that lists everything
 * for a listing of ours. Runs on the DNS client's threads, never on an event loop. Thread-safe.
 */
final class DnsMonitor {
    private static final Logger LOG = LoggerFactory.getLogger(DnsblClient.class);
    /** How often the timer asks whether something is due. */
    static final Duration TICK = Duration.ofSeconds(1);

    private final ZoneProber prober;
    private final OwnIpMonitor own;
    private final TimeSource time;
    private final long probeEvery;
    private final long ownEvery;
    private final AtomicBoolean busy = new AtomicBoolean();
    private volatile long nextProbe = Long.MIN_VALUE;
    private volatile long nextOwn = Long.MIN_VALUE;
    private volatile boolean closed;

    /** {@code probeInterval} zero: no probes. */
    DnsMonitor(ZoneProber prober, OwnIpMonitor own, TimeSource time, Duration probeInterval,
            Duration ownInterval) {
        this.prober = prober;
        this.own = own;
        this.time = time;
        this.probeEvery = probeInterval.toMillis();
        this.ownEvery = ownInterval.toMillis();
    }

    boolean probing() {
        return probeEvery > 0 && !prober.domains().isEmpty();
    }

    /** Whether anything is ever due. */
    boolean active() {
        return probing() || own.active();
    }

    /**
     * Starts what is due now (per the time source): completes when that round has ended, at once when nothing is
     * due or a round is still out. Never completes exceptionally.
     */
    CompletableFuture<Void> poll() {
        if (closed || !busy.compareAndSet(false, true)) {
            return CompletableFuture.completedFuture(null);
        }
        try {
            long now = time.millis();
            boolean probe = probing() && now >= nextProbe;
            boolean check = own.active() && now >= nextOwn;
            if (!probe && !check) {
                busy.set(false);
                return CompletableFuture.completedFuture(null);
            }
            if (probe) {
                nextProbe = now + probeEvery;
            }
            if (check) {
                nextOwn = now + ownEvery;
            }
            CompletableFuture<?> round = probe ? prober.probeAll() : CompletableFuture.completedFuture(null);
            if (check) {
                round = round.handle((v, t) -> null).thenCompose(v -> closed
                        ? CompletableFuture.completedFuture(null) : own.check());
            }
            return round.handle((v, t) -> {
                busy.set(false);
                if (t != null) {
                    LOG.warn("DNSBL monitor round failed: {}", t.toString());
                }
                return null;
            });
        } catch (RuntimeException e) {
            busy.set(false);
            LOG.warn("DNSBL monitor round failed: {}", e.toString());
            return CompletableFuture.completedFuture(null);
        }
    }

    /** Calls {@link #poll()} on {@code timer} every {@link #TICK}, the first time at once; stops with the timer. */
    void start(ScheduledExecutorService timer) {
        if (!active() || closed) {
            return;
        }
        try {
            timer.scheduleWithFixedDelay(this::poll, 0, TICK.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            return;
        }
        LOG.info("DNSBL monitor: {}{}", probing() ? "probing " + prober.domains().size() + " zone(s) every "
                + Durations.format(Duration.ofMillis(probeEvery)) : "zone probes off", own.active() ? ", checking "
                + own.addresses() + " own address(es) every " + Durations.format(Duration.ofMillis(ownEvery)) : "");
    }

    /** No further rounds start. */
    void close() {
        closed = true;
    }
}
