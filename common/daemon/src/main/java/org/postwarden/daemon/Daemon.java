package org.postwarden.daemon;

import org.postwarden.api.BanListener;
import org.postwarden.api.Suspensions;
import org.postwarden.config.PostwardenConfig;
import org.postwarden.dnsbl.DnsScannerCheck;
import org.postwarden.dnsbl.DnsblClient;
import org.postwarden.dnsbl.SenderPools;
import org.postwarden.engine.AuthPolicy;
import org.postwarden.engine.DecisionEngine;
import org.postwarden.engine.GreylistCheck;
import org.postwarden.engine.RecentDecisions;
import org.postwarden.engine.SignalRecorder;
import org.postwarden.metrics.PostwardenMetrics;
import org.postwarden.model.TimeSource;
import org.postwarden.outbound.OutboundGuard;
import org.postwarden.outbound.OutboundSnapshot;
import org.postwarden.outbound.OutboundState;
import org.postwarden.outbound.alert.Alerter;
import org.postwarden.outbound.queue.QueueCommands;
import org.postwarden.outbound.queue.QueueWatcher;
import org.postwarden.reputation.ReputationStore;
import org.postwarden.reputation.memory.MemoryReputationStore;
import org.postwarden.reputation.memory.SnapshotFile;
import org.postwarden.reputation.memory.StoreJournal;
import org.postwarden.reputation.memory.StoreSnapshot;
import org.postwarden.rules.Rules;
import org.postwarden.runtime.DaemonContext;
import org.postwarden.runtime.Listener;
import org.postwarden.runtime.ListenerFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The running daemon: one store, one engine, several listeners. Start-up restores the state snapshot (the outbound
 * guard's profiles and suspensions included: they are store state), imports an outbound state file of an earlier
 * release once ({@code outbound.state-path}), then starts each listener; shutdown stops listeners gracefully
 * (in-flight requests are answered), then writes a final snapshot. Snapshots are also written periodically, and
 * soon after a suspension starts or ends, on a background thread (never on an event loop).
 */
public final class Daemon implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Daemon.class);
    private static final Duration GRACE = Duration.ofSeconds(5);

    private final DaemonContext context;
    private final CurrentEngine engine;
    private final Optional<SnapshotFile> snapshots;
    private final List<Listener> listeners = new ArrayList<>();
    private final ScheduledExecutorService background;
    private final Outbound outbound;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final AtomicBoolean snapshotQueued = new AtomicBoolean();
    /** The journal of bans and suspensions (empty when persistence is off). */
    private Optional<StoreJournal> journal = Optional.empty();
    /** Why the daemon reports not-ready although it serves (a corrupt snapshot not yet acknowledged), or null. */
    private volatile String notReady;
    private volatile boolean ready;
    private volatile boolean closed;

    /** The outbound guard and what serves it: alerts, queue commands and watcher, their threads. */
    private record Outbound(OutboundGuard guard, Alerter alerter, QueueWatcher watcher,
            ScheduledExecutorService executor, RunningRules running, DnsScannerCheck scanners) {
        Outbound withScanners(DnsScannerCheck s) {
            return new Outbound(guard, alerter, watcher, executor, running, s);
        }
    }

    /** The rules in force: set at start and by each reload, read by the parts that outlive an engine. */
    private static final class RunningRules {
        private volatile Rules rules;

        RunningRules(Rules rules) {
            this.rules = rules;
        }

        PostwardenConfig config() {
            return rules.config();
        }

        String scannerSuffix(String name) {
            return rules.bans().scannerSuffix(name);
        }
    }

    private Daemon(CurrentEngine engine, PostwardenMetrics metrics, TimeSource time,
            Optional<SnapshotFile> snapshots, Outbound outbound) {
        this.engine = engine;
        this.context = new DaemonContext(engine, metrics, time, this::ready, this::notReadyReason);
        this.snapshots = snapshots;
        this.outbound = outbound;
        this.background = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "postwarden-background");
            t.setDaemon(true);
            return t;
        });
    }

    /** Starts a daemon with the listeners found by {@link ServiceLoader}. */
    public static Daemon start(PostwardenConfig config, TimeSource time, PostwardenMetrics metrics) throws Exception {
        List<ListenerFactory> factories = new ArrayList<>();
        ServiceLoader.load(ListenerFactory.class).forEach(factories::add);
        return start(config, time, metrics, factories);
    }

    /** Starts a daemon with the given listener factories. */
    public static Daemon start(PostwardenConfig config, TimeSource time, PostwardenMetrics metrics,
            List<ListenerFactory> factories) throws Exception {
        Rules rules = new Rules(config);
        MemoryReputationStore store = new MemoryReputationStore(rules.storeSettings(), time);
        String path = config.store().snapshot().path();
        Optional<SnapshotFile> snapshots = path.isBlank() ? Optional.empty() : Optional.of(new SnapshotFile(Path.of(path)));
        Optional<SnapshotFile.Loaded> loaded = snapshots.map(s -> s.restore(store));
        loaded.flatMap(SnapshotFile.Loaded::counts).ifPresent(c -> LOG.info(
                "restored state: {} client keys, {} users, {} bans", c.clients(), c.users(), c.bans()));
        Optional<StoreJournal> journal = Optional.empty();
        if (snapshots.isPresent()) {
            StoreJournal.Replay[] replay = new StoreJournal.Replay[1];
            journal = Optional.of(StoreJournal.open(snapshots.get().journalPath(), store, replay));
            if (replay[0].records() > 0) {
                LOG.info("replayed state journal {}: {} records (bans, unbans, suspensions since the last snapshot)"
                        + "; {} bans now", journal.get().path(), replay[0].records(), store.banCount());
            }
        }
        String corrupt = null;
        if (loaded.isPresent() && loaded.get().corrupt().isPresent()) {
            String aside = loaded.get().aside().map(Path::toString).orElse("(could not be moved aside)");
            if (PostwardenConfig.Store.START_ANYWAY.equals(config.store().onCorrupt())) {
                LOG.error("state snapshot was corrupt ({}), kept as {}; starting with the journal's bans and "
                        + "suspensions only (store.on-corrupt: start-anyway)", loaded.get().corrupt().get(), aside);
            } else {
                corrupt = "state snapshot " + path + " was corrupt (" + loaded.get().corrupt().get() + "), kept as "
                        + aside + "; serving with the journal's bans and suspensions only; acknowledge with "
                        + "`postwarden ctl ack-corrupt` (store.on-corrupt: wait-for-admin)";
                LOG.error("NOT READY: {}", corrupt);
            }
        }
        Outbound outbound = startOutbound(rules, store, metrics);
        DnsScannerCheck scanners = config.bans().scanners().enabled() && config.bans().threshold() > 0
                ? DnsScannerCheck.create(config.bans().scanners(), outbound.running()::scannerSuffix, time) : null;
        SignalRecorder signals = new SignalRecorder(metrics, time, scanners, BanListener.NONE);
        DecisionEngine first = new DecisionEngine(rules, store, metrics, DnsClients.dnsbl(rules, null, metrics, time,
                new DnsblAlerts(outbound.alerter(), time)), DnsClients.pools(rules, null, metrics, time))
                .withRecent(new RecentDecisions(RecentDecisions.DEFAULT_CAPACITY)).withOutbound(outbound.guard())
                .withSignals(signals).withAuth(new AuthPolicy(signals, metrics, outbound.alerter()));
        Daemon d = new Daemon(new CurrentEngine(first), metrics, time, snapshots, outbound.withScanners(scanners));
        d.journal = journal;
        d.notReady = corrupt;
        DaemonContext ctx = d.context;
        d.registerGauges();
        d.restoreOutbound(config);
        outbound.guard().onChange(d::requestSnapshot);
        try {
            for (ListenerFactory f : factories) {
                Optional<Listener> l = f.create(ctx);
                if (l.isPresent()) {
                    l.get().start();
                    d.listeners.add(l.get());
                    LOG.info("{} listener on {}", l.get().name(), l.get().address());
                }
            }
        } catch (Exception e) {
            d.close();
            throw e;
        }
        outbound.watcher().start(outbound.executor());
        long every = config.store().snapshot().interval().toMillis();
        d.background.scheduleWithFixedDelay(d::periodic, every, every, TimeUnit.MILLISECONDS);
        d.ready = true;
        LOG.info("postwarden started{}", config.dryRun() ? " in global DRY-RUN mode (nothing is enforced)" : "");
        return d;
    }

    /**
     * The outbound guard on {@code store}, the alerter, and the queue commands and watcher (started later, once the
     * listeners are up). Alerts and queue polls share two threads of their own, never an event loop.
     */
    private static Outbound startOutbound(Rules rules, ReputationStore store, PostwardenMetrics metrics) {
        java.util.concurrent.atomic.AtomicInteger n = new java.util.concurrent.atomic.AtomicInteger();
        ScheduledExecutorService executor = Executors.newScheduledThreadPool(2, r -> {
            Thread t = new Thread(r, "postwarden-outbound-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        RunningRules running = new RunningRules(rules);
        Alerter alerter = new Alerter(() -> running.config().outbound().alerts(), metrics, executor);
        QueueCommands commands = new QueueCommands(() -> running.config().outbound().queue());
        OutboundGuard guard = new OutboundGuard(rules, store, metrics, alerter, commands);
        QueueWatcher watcher = new QueueWatcher(commands, () -> running.config().outbound().queue(),
                store.time(), metrics, alerter, guard.suspensions());
        return new Outbound(guard, alerter, watcher, executor, running, null);
    }

    /**
     * The outbound state at start, once the store snapshot is restored: imports the state file of an earlier release
     * ({@code outbound.state-path}, then renamed {@code NAME.imported}; a store snapshot is written at once), drops
     * profiles silent for longer than {@code outbound.profile-expiry}, and says what there is and who is still
     * suspended.
     */
    private void restoreOutbound(PostwardenConfig config) {
        OutboundGuard guard = outbound.guard();
        String legacy = config.outbound().statePath();
        if (!legacy.isBlank()) {
            new OutboundSnapshot(Path.of(legacy)).upgrade(guard, this::snapshot).ifPresent(c -> {
                if (snapshots.isEmpty()) {
                    LOG.warn("store.snapshot.path is \"\": the outbound state imported from {} is kept in memory only "
                            + "and will not survive a restart", legacy);
                }
            });
        }
        guard.dropSilentProfiles();
        List<Suspensions.Suspension> suspended = guard.suspensions().list();
        long profiles = guard.profileCount();
        if (profiles > 0 || !suspended.isEmpty()) {
            LOG.info("restored outbound state: {} sender profiles, {} suspensions", profiles, suspended.size());
        }
        for (Suspensions.Suspension s : suspended) {
            LOG.warn("outbound mail of {} is still suspended (since {}, {}); release it with: postwarden ctl release {}",
                    s.subject(), java.time.Instant.ofEpochMilli(s.sinceMillis()), s.reason(), s.subject());
        }
    }

    /**
     * Asks for a store snapshot soon, on the background thread (a suspension started or ended). Requests made while
     * one is waiting are served by it; after shutdown began, the final snapshot of {@link #close()} covers them.
     */
    private void requestSnapshot() {
        if (!snapshotQueued.compareAndSet(false, true)) {
            return;
        }
        try {
            background.execute(() -> {
                snapshotQueued.set(false);
                snapshot();
            });
        } catch (RejectedExecutionException e) {
            snapshotQueued.set(false);
        }
    }

    /** The outbound guard (suspensions for the admin API). */
    public OutboundGuard outbound() {
        return outbound.guard();
    }

    private void registerGauges() {
        PostwardenMetrics m = context.metrics();
        m.gauge("postwarden.store.entries", "Keys held in the reputation store",
                () -> engine.current().store().clientCount(), "kind", "client");
        m.gauge("postwarden.store.entries", "Keys held in the reputation store",
                () -> engine.current().store().userCount(), "kind", "user");
        m.gauge("postwarden.bans.active", "Active bans", () -> engine.current().store().banCount());
        journal.ifPresent(j -> {
            m.gauge("postwarden.journal.records", "State journal records since start, by state (synced: on disk; "
                    + "pending: waiting for the disk; dropped: the disk did not keep up)", j::synced, "state", "synced");
            m.gauge("postwarden.journal.records", "State journal records since start, by state (synced: on disk; "
                    + "pending: waiting for the disk; dropped: the disk did not keep up)", j::pending, "state",
                    "pending");
            m.gauge("postwarden.journal.records", "State journal records since start, by state (synced: on disk; "
                    + "pending: waiting for the disk; dropped: the disk did not keep up)", j::dropped, "state",
                    "dropped");
        });
        m.gauge("postwarden.ready", "1 when the daemon reports ready, 0 when not (a corrupt snapshot not yet "
                + "acknowledged, start-up, shutdown)", () -> ready() ? 1 : 0);
    }

    private void periodic() {
        try {
            engine.current().store().cleanUp();
            outbound.guard().dropSilentProfiles();
            snapshot();
        } catch (RuntimeException e) {
            LOG.error("periodic maintenance failed", e);
        }
    }

    /**
     * Writes a snapshot now (no-op when persistence is off), then compacts the journal: the records it held before the
     * snapshot was started are in the snapshot. Safe from any non-event-loop thread.
     */
    public synchronized void snapshot() {
        if (snapshots.isEmpty()) {
            return;
        }
        try {
            long mark = journal.map(StoreJournal::mark).orElse(0L);
            StoreSnapshot.Counts c = snapshots.get().save((MemoryReputationStore) engine.current().store());
            if (journal.isPresent()) {
                journal.get().compact(mark);
            }
            context.metrics().snapshot("ok");
            LOG.debug("snapshot written: {} client keys, {} users, {} bans", c.clients(), c.users(), c.bans());
        } catch (IOException | RuntimeException e) {
            context.metrics().snapshot("error");
            LOG.error("cannot write state snapshot {}: {}", snapshots.get().path(), e.toString());
        }
    }

    /**
     * Applies a new configuration without dropping connections: a new engine is swapped in; when the counter
     * layout or the bounds of the outbound profiles changed, the state moves to a new store through an in-memory
     * snapshot (the outbound guard's tables with the rest), and the guard's calls without an engine follow once it
     * is there. Listen addresses and sizes of listeners keep their start-up values. The DNSBL client is kept when
     * its settings are unchanged, else replaced (the old one is closed).
     */
    public synchronized void reload(PostwardenConfig next) throws IOException {
        DecisionEngine current = engine.current();
        Rules rules = new Rules(next);
        ReputationStore store = current.store();
        boolean migrate = !rules.storeSettings().equals(current.rules().storeSettings())
                || OutboundState.needsNewStore(current.rules().config().outbound(), next.outbound())
                || GreylistCheck.needsNewStore(current.rules().config().greylist(), next.greylist());
        if (migrate) {
            // the new store shares the bans, offense history, marks, tables and journal of the old one: not one
            // request sees a ban missing; only the counters start empty and follow below
            store = MemoryReputationStore.successor((MemoryReputationStore) current.store(), rules.storeSettings());
        } else {
            outbound.guard().rules(rules, store);
        }
        DnsblClient dnsbl = DnsClients.dnsbl(rules, current.dnsbl(), context.metrics(), context.time(),
                new DnsblAlerts(outbound.alerter(), context.time()));
        SenderPools pools = DnsClients.pools(rules, current.pools(), context.metrics(), context.time());
        outbound.running().rules = rules;
        engine.swap(new DecisionEngine(rules, store, context.metrics(), dnsbl, pools).withRecent(current.recent())
                .withOutbound(outbound.guard()).withSignals(current.signals()).withAuth(current.auth()));
        if (migrate) {
            // New events already count in the new store; wait for the decisions still running on the old engine
            // (each ends within its time budget), then add the old store's counters to the new one, so nothing
            // counted before or during the swap is lost.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            CompletableFuture<Void> drained = current.retire();
            while (true) {
                try {
                    drained.get(2, TimeUnit.SECONDS);
                    break;
                } catch (java.util.concurrent.TimeoutException e) {
                    if (System.nanoTime() > deadline) {
                        LOG.warn("reload: {} decisions still running on the previous engine after 30 s; moving the "
                                + "counters now (what they count after this point is lost)",
                                current.activeDecisions());
                        break;
                    }
                    LOG.info("reload: waiting for {} decisions still running on the previous engine",
                            current.activeDecisions());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                } catch (java.util.concurrent.ExecutionException e) {
                    throw new IllegalStateException(e);
                }
            }
            ((MemoryReputationStore) store).absorbCounters((MemoryReputationStore) current.store());
            outbound.guard().rules(rules, store);
        }
        if (current.dnsbl() != null && current.dnsbl() != dnsbl) {
            current.dnsbl().close();
        }
        if (current.pools() != null && current.pools() != pools) {
            current.pools().close();
        }
        LOG.info("configuration reloaded");
    }

    public DaemonContext context() {
        return context;
    }

    /** The engine every listener calls (its current generation for the admin queries). */
    public CurrentEngine engine() {
        return engine;
    }

    public List<Listener> listeners() {
        return List.copyOf(listeners);
    }

    public boolean ready() {
        return ready && !closed && notReady == null;
    }

    /** Why the daemon is not ready although it serves (empty when it is ready, or starting, or stopping). */
    public Optional<String> notReadyReason() {
        return Optional.ofNullable(notReady);
    }

    /**
     * An admin acknowledges that the state snapshot was corrupt (it is kept aside; the daemon serves with what the
     * journal held): the daemon reports ready again. Returns what was acknowledged (empty when there was nothing).
     */
    public Optional<String> acknowledgeCorrupt() {
        String was = notReady;
        notReady = null;
        if (was != null) {
            LOG.warn("admin acknowledged: {}; reporting ready", was);
        }
        return Optional.ofNullable(was);
    }

    /** Blocks until {@link #close()} has finished. */
    public void awaitStopped() throws InterruptedException {
        stopped.await();
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        ready = false;
        LOG.info("shutting down: stopping listeners");
        for (int i = listeners.size() - 1; i >= 0; i--) {
            try {
                listeners.get(i).stop(GRACE);
            } catch (RuntimeException e) {
                LOG.warn("error stopping {} listener: {}", listeners.get(i).name(), e.toString());
            }
        }
        background.shutdownNow();
        outbound.executor().shutdownNow();
        outbound.alerter().close();
        if (outbound.scanners() != null) {
            outbound.scanners().close();
        }
        if (engine.current().dnsbl() != null) {
            engine.current().dnsbl().close();
        }
        if (engine.current().pools() != null) {
            engine.current().pools().close();
        }
        snapshot();
        journal.ifPresent(StoreJournal::close);
        LOG.info("postwarden stopped");
        stopped.countDown();
    }
}
