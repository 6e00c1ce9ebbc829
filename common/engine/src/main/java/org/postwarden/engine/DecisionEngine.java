package org.postwarden.engine;

import org.postwarden.api.AuthAttempt;
import org.postwarden.api.AuthVerdict;
import org.postwarden.api.DeliveryOutcomes;
import org.postwarden.api.Engine;
import org.postwarden.api.LogSignal;
import org.postwarden.api.SignalOutcome;
import org.postwarden.config.PostwardenConfig;
import org.postwarden.dnsbl.DnsblClient;
import org.postwarden.metrics.PostwardenMetrics;
import org.postwarden.model.Addresses;
import org.postwarden.model.BanKeys;
import org.postwarden.model.Cidr;
import org.postwarden.model.ClientKey;
import org.postwarden.model.KeyLevel;
import org.postwarden.model.MailEvent;
import org.postwarden.outbound.OutboundGuard;
import org.postwarden.reputation.Ban;
import org.postwarden.reputation.ReputationStore;
import org.postwarden.rules.Rules;
import org.postwarden.text.LogSafe;
import org.postwarden.verdict.Action;
import org.postwarden.verdict.Decision;
import org.postwarden.verdict.Verdict;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Turns events into decisions. Order: explicit trust ({@code allowlist.trust-ok} ⇒ OK), exemptions (allowlist and
 * own addresses ⇒ DUNNO, nothing counted), counting, then the checks in order ban, concurrency, rate-limit, relay,
 * helo, content, outbound, dnsbl, score (so it sees the signals of this very event), greylist (so it sees the score).
 * The most severe proposed outcome wins; outcomes proposed only by dry-run checks become
 * {@code WARN would <action>: <text>}; a network-level defer stays temporary ({@link Verdict#deferOnly}). A message
 * accepted at END-OF-MESSAGE counts into its host's clean history.
 */
public final class DecisionEngine implements Engine {
    private static final Logger DECISIONS = LoggerFactory.getLogger("org.postwarden.decision");
    private final Rules rules;
    private final ReputationStore store;
    private final PostwardenMetrics metrics;
    private final List<Check> checks;
    private final java.util.concurrent.atomic.AtomicInteger active = new java.util.concurrent.atomic.AtomicInteger();
    /** Completed when this engine is retired and no decision runs on it any more (null until retired). */
    private volatile CompletableFuture<Void> drained;
    private final DnsblClient dnsbl;
    private final RecentDecisions recent;
    private final OutboundGuard outbound;
    private final SignalRecorder signals;
    private final AuthPolicy auth;

    public DecisionEngine(Rules rules, ReputationStore store, PostwardenMetrics metrics) {
        this(rules, store, metrics, (DnsblClient) null);
    }

    /**
     * The default checks, with DNSBL scoring through {@code dnsbl} just before the score check (null: none). The
     * client stays the caller's to close (the daemon closes it when a reload replaces it).
     */
    public DecisionEngine(Rules rules, ReputationStore store, PostwardenMetrics metrics, DnsblClient dnsbl) {
        this(rules, store, metrics, dnsbl, null);
    }

    /**
     * The default checks as above, greylisting last with the sender pools' DNS lookups through {@code pools} (null:
     * configured pool networks only). Both clients stay the caller's to close.
     */
    public DecisionEngine(Rules rules, ReputationStore store, PostwardenMetrics metrics, DnsblClient dnsbl,
            org.postwarden.dnsbl.SenderPools pools) {
        this(rules, store, metrics, withDnsbl(dnsbl, List.of(new BanCheck(), new ConcurrencyCheck(), new RateLimitCheck(),
                new RelayCheck(), new HeloCheck(), new ContentCheck(), new OutboundCheck(), new ScoreCheck(),
                new GreylistCheck(pools, metrics))), dnsbl);
    }

    public DecisionEngine(Rules rules, ReputationStore store, PostwardenMetrics metrics, List<Check> checks) {
        this(rules, store, metrics, checks, null);
    }

    private DecisionEngine(Rules rules, ReputationStore store, PostwardenMetrics metrics, List<Check> checks,
            DnsblClient dnsbl) {
        this(rules, store, metrics, checks, dnsbl, null, null, null, null);
    }

    private DecisionEngine(Rules rules, ReputationStore store, PostwardenMetrics metrics, List<Check> checks,
            DnsblClient dnsbl, RecentDecisions recent, OutboundGuard outbound, SignalRecorder signals,
            AuthPolicy auth) {
        this.rules = rules;
        this.store = store;
        this.metrics = metrics;
        this.checks = List.copyOf(checks);
        this.dnsbl = dnsbl;
        this.recent = recent;
        this.outbound = outbound;
        this.signals = signals != null ? signals : new SignalRecorder(metrics, store.time(), null, null);
        this.auth = auth != null ? auth : new AuthPolicy(this.signals, metrics, null);
    }

    /**
     * This engine with its interesting decisions also recorded in {@code ring} (for explain and the live report);
     * the daemon hands the same ring to every engine a reload creates, so the history survives reloads.
     */
    public DecisionEngine withRecent(RecentDecisions ring) {
        return new DecisionEngine(rules, store, metrics, checks, dnsbl, ring, outbound, signals, auth);
    }

    /**
     * This engine with the outbound guard {@code guard} (the daemon hands the same guard to every engine a reload
     * creates). The guard keeps profiles and suspensions in this engine's store, which it is given with each event.
     */
    public DecisionEngine withOutbound(OutboundGuard guard) {
        return new DecisionEngine(rules, store, metrics, checks, dnsbl, recent, guard, signals, auth);
    }

    /**
     * This engine with log signals recorded by {@code recorder} (the daemon hands the same recorder to every engine a
     * reload creates: what it learnt outlives reloads).
     */
    public DecisionEngine withSignals(SignalRecorder recorder) {
        return new DecisionEngine(rules, store, metrics, checks, dnsbl, recent, outbound, recorder,
                auth == null || auth.signals() != signals ? null : auth);
    }

    /**
     * This engine with Dovecot's auth policy judged by {@code policy} (which must score through this engine's
     * signal recorder; the daemon hands the same one to every engine a reload creates, with the alert sinks).
     */
    public DecisionEngine withAuth(AuthPolicy policy) {
        return new DecisionEngine(rules, store, metrics, checks, dnsbl, recent, outbound, signals, policy);
    }

    /** The auth policy behind {@link #authPolicy}. */
    public AuthPolicy auth() {
        return auth;
    }

    @Override
    public AuthVerdict authPolicy(AuthAttempt attempt) {
        return auth.decide(attempt, rules, store);
    }

    /** The signal recorder behind {@link #observe}. */
    public SignalRecorder signals() {
        return signals;
    }

    @Override
    public SignalOutcome observe(LogSignal signal) {
        return signals.record(signal, rules, store);
    }

    @Override
    public void delivered(String queueId, DeliveryOutcomes.Status status, long timeMillis) {
        if (outbound != null) {
            outbound.delivery(queueId, status, timeMillis, rules, store);
        }
    }

    @Override
    public OpenSession connectionOpened(InetAddress client) {
        if (client == null) {
            return OpenSession.NONE;
        }
        ClientKey host = ClientKey.of(client, KeyLevel.HOST, rules.widePrefix());
        ReputationStore counted = store;
        counted.connectionOpened(host);
        java.util.concurrent.atomic.AtomicBoolean open = new java.util.concurrent.atomic.AtomicBoolean(true);
        return () -> {
            if (open.compareAndSet(true, false)) {
                counted.connectionClosed(host);
            }
        };
    }

    @Override
    public Ban ban(Cidr target, Duration duration, String reason, String detail) {
        ClientKey key = BanKeys.of(target, rules.widePrefix(), rules.tierPrefixes());
        Duration d = duration == null ? rules.bans().duration(store.offenses(key))
                : duration.equals(PERMANENT) ? null : duration;
        return store.ban(key, d, reason, detail);
    }

    @Override
    public boolean unban(Cidr target) {
        return store.unban(BanKeys.of(target, rules.widePrefix(), rules.tierPrefixes()));
    }

    @Override
    public BanList bans() {
        return new BanList(store.activeBans(), rules.bans().permanent());
    }

    @Override
    public PostwardenConfig config() {
        return rules.config();
    }

    /** The outbound guard, or null when this engine has none. */
    public OutboundGuard outbound() {
        return outbound;
    }

    /** The ring of recent decisions this engine feeds, or null. */
    public RecentDecisions recent() {
        return recent;
    }

    /** {@code checks} with a {@link DnsblCheck} on {@code dnsbl} inserted before the score check (none if null). */
    private static List<Check> withDnsbl(DnsblClient dnsbl, List<Check> checks) {
        if (dnsbl == null) {
            return checks;
        }
        List<Check> out = new java.util.ArrayList<>(checks);
        int score = 0;
        while (score < out.size() && !(out.get(score) instanceof ScoreCheck)) {
            score++;
        }
        out.add(score, new DnsblCheck(dnsbl));
        return out;
    }

    /** The sender pools' DNS lookups the greylist check uses, or null. */
    public org.postwarden.dnsbl.SenderPools pools() {
        for (Check c : checks) {
            if (c instanceof GreylistCheck g) {
                return g.pools();
            }
        }
        return null;
    }

    /** The DNSBL client the DNSBL check uses, or null when DNSBL scoring is off. */
    public DnsblClient dnsbl() {
        return dnsbl;
    }

    public Rules rules() {
        return rules;
    }

    public ReputationStore store() {
        return store;
    }

    public PostwardenMetrics metrics() {
        return metrics;
    }

    /**
     * Decides asynchronously: starts every enabled check's {@link Check#prepare} work, then evaluates when all of
     * it is done (at once, on the calling thread, when no check has I/O to do). Never blocks.
     */
    @Override
    public CompletionStage<Decision> decide(MailEvent event) {
        active.incrementAndGet();
        CompletableFuture<Decision> f = decideTracked(event).toCompletableFuture();
        if (f.isDone()) {
            finished();
            return f;
        }
        return f.whenComplete((d, t) -> finished());
    }

    private void finished() {
        if (active.decrementAndGet() == 0) {
            CompletableFuture<Void> d = drained;
            if (d != null) {
                d.complete(null);
            }
        }
    }

    /**
     * Marks this engine as replaced (a reload put another one in place) and returns a stage that completes once no
     * decision runs on it any more: at once when none does. Decisions started later still work, they only complete
     * the stage again (a no-op).
     */
    public CompletableFuture<Void> retire() {
        CompletableFuture<Void> d = new CompletableFuture<>();
        drained = d;
        if (active.get() == 0) {
            d.complete(null);
        }
        return d;
    }

    /** Decisions started and not yet finished. */
    public int activeDecisions() {
        return active.get();
    }

    private CompletionStage<Decision> decideTracked(MailEvent event) {
        long start = System.nanoTime();
        try {
            Decision early = exemption(event);
            if (early != null) {
                return CompletableFuture.completedFuture(finish(event, early, start));
            }
            List<Check> waiting = null;
            List<CompletableFuture<?>> stages = null;
            for (Check c : checks) {
                if (!rules.enabled(c.name())) {
                    continue;
                }
                CompletionStage<?> s = c.prepare(event, rules, store);
                if (s != null) {
                    if (waiting == null) {
                        waiting = new java.util.ArrayList<>(2);
                        stages = new java.util.ArrayList<>(2);
                    }
                    waiting.add(c);
                    stages.add(s.toCompletableFuture());
                }
            }
            if (waiting == null) {
                return CompletableFuture.completedFuture(finish(event, evaluate(event, null, null), start));
            }
            if (allDone(stages)) {
                // Everything prepared is there already (e.g. cached DNSBL answers): no future machinery.
                return CompletableFuture.completedFuture(finish(event, evaluate(event, waiting, stages), start));
            }
            List<Check> w = waiting;
            List<CompletableFuture<?>> st = stages;
            return CompletableFuture.allOf(st.toArray(CompletableFuture[]::new))
                    .thenApply(v -> finish(event, evaluate(event, w, st), start));
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private static boolean allDone(List<CompletableFuture<?>> stages) {
        for (int i = 0; i < stages.size(); i++) {
            if (!stages.get(i).isDone()) {
                return false;
            }
        }
        return true;
    }

    /** Decides on the calling thread; only for events no check prepares I/O for (tests, benchmarks, replay). */
    public Decision decideNow(MailEvent event) {
        return decide(event).toCompletableFuture().join();
    }

    private Decision finish(MailEvent event, Decision d, long start) {
        metrics.decision(event.source(), event.stage(), d, System.nanoTime() - start);
        if (recent != null) {
            recent.record(event, d, store.time().millis());
        }
        if (d.verdict().action() != Action.PASS && d.verdict().action() != Action.ACCEPT || d.suppressed()) {
            log(event, d);
        }
        return d;
    }

    private Decision exemption(MailEvent event) {
        if (event.client() != null) {
            if (rules.trustOk(event.client())) {
                Verdict v = new Verdict.Accept("allowlist.trust-ok");
                return new Decision(v, v, List.of(), false);
            }
            if (rules.exempt(event.client())) {
                return Decision.pass();
            }
        }
        return null;
    }

    private Decision evaluate(MailEvent event, List<Check> prepared, List<CompletableFuture<?>> values) {
        EvaluationContext ctx = new EvaluationContext(event, rules, store, metrics::signal);
        ctx.outbound(outbound);
        if (prepared != null) {
            for (int i = 0; i < prepared.size(); i++) {
                ctx.prepared(prepared.get(i), values.get(i).join());
            }
        }
        EventRecorder.record(ctx);
        for (Check c : checks) {
            if (rules.enabled(c.name())) {
                ctx.enter(c.name(), rules.dryRun(c.name()));
                c.evaluate(ctx);
            }
        }
        Decision d = Outcomes.combine(ctx.findings(), rules);
        if (event.stage() == org.postwarden.model.SmtpStage.END_OF_MESSAGE && event.client() != null) {
            countAccepted(ctx, d);
            return d.withHostScore(store.score(ctx.host()));
        }
        return d;
    }

    /**
     * Counts a message accepted at END-OF-MESSAGE into its host's history (once per message, whichever listeners
     * report it): the clean history of {@code networks.clean-history-messages}. A message deferred, rejected or held
     * is not accepted.
     */
    private void countAccepted(EvaluationContext ctx, Decision d) {
        Action a = d.verdict().action();
        if (a == Action.DEFER || a == Action.REJECT || a == Action.HOLD || rules.cleanHistoryMessages() <= 0
                || !EventRecorder.firstFor(store.marks(), org.postwarden.reputation.Mark.ACCEPTED, ctx.event())) {
            return;
        }
        NetworkScores.accepted(store, ctx.levels().member());
    }

    private static void log(MailEvent e, Decision d) {
        if (!DECISIONS.isInfoEnabled()) {
            return;
        }
        DECISIONS.info("{} {} client={} helo={} from=<{}> to=<{}> sasl={} action={}{} findings={}",
                e.source(), e.stage().label(),
                e.client() == null ? "unknown" : Addresses.format(e.client()),
                LogSafe.escape(e.heloName(), 100), LogSafe.escape(e.sender(), 100),
                LogSafe.escape(e.recipient(), 100), LogSafe.escape(e.saslUsername(), 64),
                d.verdict().action().label(),
                d.suppressed() ? " would=" + d.wouldHave().action().label() : "",
                d.findings());
    }
}
