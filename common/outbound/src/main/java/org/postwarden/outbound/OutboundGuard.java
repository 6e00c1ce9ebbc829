package org.postwarden.outbound;

import io.micrometer.core.instrument.DistributionSummary;
import org.postwarden.api.DeliveryOutcomes;
import org.postwarden.config.Durations;
import org.postwarden.config.PostwardenConfig;
import org.postwarden.metrics.PostwardenMetrics;
import org.postwarden.model.Addresses;
import org.postwarden.model.MailEvent;
import org.postwarden.model.SmtpStage;
import org.postwarden.model.TimeSource;
import org.postwarden.outbound.OutboundState.Suspended;
import org.postwarden.outbound.queue.QueueCommands;
import org.postwarden.reputation.ReputationStore;
import org.postwarden.reputation.StateTable;
import org.postwarden.rules.Rules;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The outbound guard's decisions: counts each message into its sender's profiles, finds anomalies, suspends. One per
 * daemon (it outlives configuration reloads; every engine gets the same one). What it learns lives in the reputation
 * store, as the kinds of {@link OutboundState}: sender profiles, suspensions, the owners of queue ids and the
 * messages already counted as held; so it is bounded, persisted and shared like the rest of the store's state.
 *
 * <p>Senders ("subjects") are {@code user:NAME} for SASL users and {@code client:ADDRESS} for unauthenticated
 * clients in {@code networks.trusted}. A SASL user has one profile; a trusted client has one per envelope-sender
 * domain ({@code client:ADDRESS from DOMAIN}) and one over all its mail ({@code client:ADDRESS}). An anomaly in any
 * of them suspends the subject: that message and every further one is held (or deferred) until released through
 * {@link #suspensions()}.
 *
 * <p>Which store: an engine passes its own rules and store with each event ({@link #observe},
 * {@link #delivery(String, Status, long, Rules, ReputationStore)}); calls that come without an engine (admin
 * queries and actions, the queue watcher, {@link DeliveryOutcomes#delivery}) use the rules and store set at
 * construction and replaced by {@link #rules(Rules, ReputationStore)} on reload.
 *
 * <p>Thread-safe: profiles are guarded by their own monitor, the tables are the store's. Nothing here blocks;
 * {@link SuspensionDesk} runs the queue commands, off the event loops.
 */
public final class OutboundGuard implements DeliveryOutcomes {
    static final Logger LOG = LoggerFactory.getLogger("org.postwarden.outbound");
    static final String SUSPENDED = "suspended";

    private final TimeSource time;
    private final PostwardenMetrics metrics;
    private final AlertSink alerts;
    private final DistributionSummary scores;
    private final SuspensionDesk desk;
    private final Profiles profiles;
    private volatile Scope scope;
    private volatile Runnable onChange = () -> { };

    /** The rules and the store of the calls without an engine (replaced together, so they always match). */
    private record Scope(Rules rules, ReputationStore store) {
    }

    /**
     * What the guard found for one event: a reason (bounded: a dimension name, {@code identical-content},
     * {@code new-network}, {@code trusted-relay}, {@code failures}, or {@code suspended}), the value and threshold
     * behind it, and a text for the log and the SMTP reply.
     */
    public record Finding(String reason, double value, double threshold, String detail) {
    }

    /**
     * @param rules   the configuration at start (replaced by {@link #rules(Rules, ReputationStore)} on reload)
     * @param store   the store at start, whose clock the guard uses (replaced with the rules on reload)
     * @param queue   runs postqueue/postsuper for release and purge (null: those only lift the suspension)
     */
    public OutboundGuard(Rules rules, ReputationStore store, PostwardenMetrics metrics, AlertSink alerts,
            QueueCommands queue) {
        this.scope = new Scope(rules, store);
        this.time = store.time();
        this.metrics = metrics;
        this.alerts = alerts;
        this.profiles = new Profiles(rules.config().outbound());
        this.desk = new SuspensionDesk(this, queue, metrics);
        this.scores = DistributionSummary.builder("postwarden.outbound.anomaly.score")
                .description("Per message: the sender's highest count in the sliding hour divided by its threshold "
                        + "(1 or more is an anomaly)")
                .serviceLevelObjectives(0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 5, 10)
                .register(metrics.registry());
        metrics.gauge("postwarden.outbound.suspended", "Senders suspended now", () -> suspensionTable().size());
        metrics.gauge("postwarden.outbound.profiles", "Sender profiles kept", this::profileCount);
    }

    /**
     * Applies a reloaded configuration (thresholds at once) with the store it runs on from now. The store must hold
     * the profiles of {@code next} ({@link OutboundState#needsNewStore}: a reload gives a new store when their bounds
     * change).
     */
    public void rules(Rules next, ReputationStore store) {
        this.scope = new Scope(next, store);
    }

    /** The configuration the guard works with now. */
    public Rules currentRules() {
        return scope.rules();
    }

    /** The store the calls without an engine use now. */
    public ReputationStore currentStore() {
        return scope.store();
    }

    /** Called (on the changing thread) when a suspension starts or ends, so the state can be saved soon. */
    public void onChange(Runnable r) {
        this.onChange = r;
    }

    public TimeSource time() {
        return time;
    }

    /** Suspensions for the admin API and the queue watcher (release and purge run the queue commands). */
    public SuspensionDesk suspensions() {
        return desk;
    }

    // ---- tables ------------------------------------------------------------------------------------------------

    StateTable<SenderProfile> profileTable() {
        Scope s = scope;
        return profiles.table(s.rules(), s.store());
    }

    StateTable<Suspended> suspensionTable() {
        return scope.store().table(OutboundState.SUSPENSIONS);
    }

    StateTable<String[]> ownerTable() {
        return scope.store().table(OutboundState.OWNERS);
    }

    void changed() {
        onChange.run();
    }

    // ---- events ------------------------------------------------------------------------------------------------

    /**
     * Counts {@code e} into its sender's profiles in {@code store} and decides under {@code r}: null when the event
     * is fine (or not profiled), else why it must be held. {@code freshRecipient}/{@code freshMessage}: this event
     * is the first report of that recipient/message (the other listener's repeat is not counted again);
     * {@code recipientsAtEnd}: the message's recipients are known only from END-OF-MESSAGE; {@code freshContent}:
     * this END-OF-MESSAGE is the first report of the message's content fingerprint. In {@code dryRun} nobody is
     * suspended.
     */
    public Finding observe(MailEvent e, Rules r, ReputationStore store, boolean freshRecipient,
            boolean freshMessage, boolean recipientsAtEnd, boolean freshContent, boolean dryRun) {
        PostwardenConfig.Outbound o = r.config().outbound();
        SmtpStage stage = e.stage();
        if (!o.enabled() || stage != SmtpStage.RCPT && stage != SmtpStage.DATA && stage != SmtpStage.END_OF_MESSAGE) {
            return null;
        }
        String subject = Senders.subjectOf(e, r);
        if (subject == null || Senders.allowedSender(e.sender(), o)) {
            return null;
        }
        long now = time.millis();
        String[] keys = Senders.profileKeys(subject, e);
        if (!e.queueId().isEmpty()) {
            store.table(OutboundState.OWNERS).put(e.queueId(), keys);
        }
        StateTable<Suspended> suspensions = store.table(OutboundState.SUSPENSIONS);
        Suspended suspended = suspensions.get(subject);
        if (suspended != null) {
            suspended.add(e.sender(), e.queueId());
            if (firstHold(e, store)) {
                suspended.held.incrementAndGet();
            }
            metrics.registry().counter("postwarden.outbound.holds", "reason", SUSPENDED).increment();
            return new Finding(SUSPENDED, suspended.held.get(), 0, "sending suspended for "
                    + Senders.display(subject) + " since " + java.time.Instant.ofEpochMilli(suspended.since) + " ("
                    + suspended.reason + "); held for review");
        }
        StateTable<SenderProfile> table = profiles.table(r, store);
        Finding worst = null;
        double score = 0;
        for (String key : keys) {
            SenderProfile p = table.getOrCreate(key, k -> new SenderProfile(o.knownRecipients()));
            synchronized (p) {
                Profiles.roll(p, key, o, now, suspensions);
                p.lastSeenMillis = now;
                boolean newNet = false;
                if (e.authenticated() && e.client() != null && stage == SmtpStage.RCPT && freshRecipient) {
                    newNet = p.network(Senders.network(e.client()), now, o.newNetwork().window());
                }
                if (stage == SmtpStage.RCPT && freshRecipient) {
                    p.recipient(e.recipient(), e.recipientDomain());
                }
                if (freshMessage) {
                    p.message();
                    if (recipientsAtEnd && e.recipientCount() > 0) {
                        p.recipients(e.recipientCount());
                    }
                }
                Finding f = evaluate(p, subject, key, o, now);
                if (newNet) {
                    LOG.info("{} logged in from a network it never used: {} (thresholds x{} for {})",
                            Senders.display(subject), Senders.network(e.client()), o.newNetwork().factor(),
                            Durations.format(o.newNetwork().window()));
                }
                if (stage == SmtpStage.END_OF_MESSAGE && !e.fingerprint().isEmpty()
                        && o.identicalContentRecipients() > 0 && freshContent) {
                    double same = p.fingerprint(Senders.fingerprint(e.fingerprint()),
                            Math.max(1, e.recipientCount()), now);
                    if (f == null && same > o.identicalContentRecipients()) {
                        f = new Finding("identical-content", same, o.identicalContentRecipients(),
                                Senders.display(subject) + " sent one content to " + (long) same
                                        + " recipients in the last hour (limit " + o.identicalContentRecipients()
                                        + ")");
                    }
                }
                if (freshMessage) {
                    score = Math.max(score, maxRatio(p, o, now));
                }
                if (f != null) {
                    p.anomalous = true;
                }
                if (worst == null && f != null) {
                    worst = f;
                }
            }
        }
        if (freshMessage) {
            scores.record(score);
        }
        if (worst != null && !dryRun) {
            Suspended s = suspend(subject, worst, e, now, o, suspensions);
            s.add(e.sender(), e.queueId());
            if (firstHold(e, store)) {
                s.held.incrementAndGet();
            }
            metrics.registry().counter("postwarden.outbound.holds", "reason", worst.reason()).increment();
        }
        return worst;
    }

    /** True the first time an event of this message is seen holding (queue id and instance both remembered). */
    private boolean firstHold(MailEvent e, ReputationStore store) {
        StateTable<Long> held = store.table(OutboundState.HELD);
        boolean fresh = true;
        if (!e.queueId().isEmpty()) {
            fresh &= first(held, "q|" + e.queueId());
        }
        if (!e.instance().isEmpty()) {
            fresh &= first(held, "i|" + e.source() + "|" + e.instance());
        }
        return fresh;
    }

    /** Marks {@code key}; true when it was not marked before (atomically: one caller wins). */
    private boolean first(StateTable<Long> held, String key) {
        boolean[] created = {false};
        held.getOrCreate(key, k -> {
            created[0] = true;
            return time.millis();
        });
        return created[0];
    }

    private static Finding evaluate(SenderProfile p, String subject, String key, PostwardenConfig.Outbound o,
            long now) {
        for (int d = 0; d < SenderProfile.DIMENSIONS; d++) {
            double v = p.recent(d, now);
            double t = p.threshold(d, o, now);
            if (v > t) {
                String reason = subject.startsWith("client:") ? "trusted-relay"
                        : p.newNetwork(now) ? "new-network" : SenderProfile.DIMENSION_NAMES[d];
                String detail = Senders.display(key) + ": " + (long) v + " " + SenderProfile.DIMENSION_NAMES[d]
                        + " in the last hour, threshold " + Senders.round(t) + " (baseline "
                        + Senders.round(p.baseline[d]) + " per active hour" + (p.newNetwork(now)
                        ? ", lowered after a login from a new network" : "")
                        + (subject.startsWith("client:") ? ", unauthenticated from a trusted network" : "") + ")";
                return new Finding(reason, v, t, detail);
            }
        }
        return null;
    }

    private static double maxRatio(SenderProfile p, PostwardenConfig.Outbound o, long now) {
        double m = 0;
        for (int d = 0; d < SenderProfile.DIMENSIONS; d++) {
            m = Math.max(m, p.recent(d, now) / p.threshold(d, o, now));
        }
        return m;
    }

    private Suspended suspend(String subject, Finding why, MailEvent e, long now, PostwardenConfig.Outbound o,
            StateTable<Suspended> suspensions) {
        Suspended fresh = new Suspended(subject, now, why.reason(), why.detail());
        Suspended s = suspensions.getOrCreate(subject, k -> fresh);
        if (s != fresh) {
            return s;
        }
        metrics.registry().counter("postwarden.outbound.suspensions", "reason", why.reason()).increment();
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("reason", why.reason());
        details.put("value", why.value());
        details.put("threshold", why.threshold());
        details.put("detail", why.detail());
        details.put("action", o.action());
        if (e != null) {
            details.put("client", e.client() == null ? "unknown" : Addresses.format(e.client()));
            details.put("sender", e.sender());
        }
        details.put("release", "postwarden ctl release " + subject);
        alerts.raise(new Alert("outbound-suspension", subject, "outbound mail of " + subject + " suspended ("
                + why.reason() + "): " + why.detail() + "; further messages are "
                + ("defer".equals(o.action()) ? "deferred" : "held") + " until released", details, now));
        changed();
        return fresh;
    }

    // ---- delivery results (DeliveryOutcomes) -------------------------------------------------------------------

    /** A delivery result that comes without an engine: judged with the current rules, in the current store. */
    @Override
    public void delivery(String queueId, Status status, long timeMillis) {
        Scope s = scope;
        delivery(queueId, status, timeMillis, s.rules(), s.store());
    }

    /** A delivery result an engine passes on: judged under its rules, in its store. */
    public void delivery(String queueId, Status status, long timeMillis, Rules r, ReputationStore store) {
        String[] keys = store.table(OutboundState.OWNERS).get(queueId);
        if (keys == null) {
            return;
        }
        PostwardenConfig.Outbound o = r.config().outbound();
        if (!o.enabled() || !r.enabled("outbound")) {
            return;
        }
        long now = time.millis();
        String subject = keys[keys.length - 1];
        boolean failed = status != Status.SENT;
        StateTable<SenderProfile> table = profiles.table(r, store);
        StateTable<Suspended> suspensions = store.table(OutboundState.SUSPENSIONS);
        Finding worst = null;
        for (String key : keys) {
            SenderProfile p = table.get(key);
            if (p == null) {
                continue;
            }
            synchronized (p) {
                Profiles.roll(p, key, o, now, suspensions);
                p.outcome(failed);
                double[] x = p.recentOutcomes(now);
                if (worst == null && failed && x[0] >= o.failures().minDeliveries()
                        && x[1] / x[0] > o.failures().maxShare()) {
                    worst = new Finding("failures", x[1] / x[0], o.failures().maxShare(), Senders.display(key)
                            + ": " + (long) x[1] + " of its last " + (long) x[0] + " deliveries were bounced or "
                            + "deferred downstream (share " + Senders.round(x[1] / x[0]) + " > "
                            + o.failures().maxShare() + ")");
                }
            }
        }
        if (worst != null && !r.dryRun("outbound") && suspensions.get(subject) == null) {
            suspend(subject, worst, null, now, o, suspensions);
        } else if (worst != null && r.dryRun("outbound")) {
            LOG.warn("dry-run: would suspend {}: {}", Senders.display(subject), worst.detail());
        }
    }

    // ---- profiles for the admin --------------------------------------------------------------------------------

    /** Forgets the recent hours of {@code subject}'s profiles (it was released after a burst). */
    void forgetBurst(String subject) {
        Scope s = scope;
        profiles.forgetBurst(subject, s.rules(), s.store());
    }

    /**
     * Forgets the profiles silent for longer than {@code outbound.profile-expiry} (a restart restores a profile
     * with a fresh idle time in the store, so the silence is measured from its last message); returns how many.
     * Scans every profile: for the periodic maintenance, never an event loop.
     */
    public int dropSilentProfiles() {
        Scope s = scope;
        return profiles.dropSilent(s.rules(), s.store(), time.millis());
    }

    /** Profiles kept now (approximate). */
    public long profileCount() {
        return profileTable().size();
    }

    /** A read-only look at one profile for explain: per dimension {recent, threshold, baseline}, or empty. */
    public Optional<Map<String, double[]>> explain(String profileKey) {
        Scope s = scope;
        return profiles.explain(profileKey, s.rules(), s.store(), time.millis());
    }
}
