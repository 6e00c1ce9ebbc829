package org.postwarden.outbound;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.micrometer.core.instrument.DistributionSummary;
import org.postwarden.api.DeliveryOutcomes;
import org.postwarden.api.Suspensions;
import org.postwarden.config.Durations;
import org.postwarden.config.PostwardenConfig;
import org.postwarden.metrics.PostwardenMetrics;
import org.postwarden.model.MailEvent;
import org.postwarden.model.SmtpStage;
import org.postwarden.model.TimeSource;
import org.postwarden.outbound.queue.HoldTargets;
import org.postwarden.outbound.queue.QueueCommands;
import org.postwarden.outbound.queue.QueuedMessage;
import org.postwarden.rules.Rules;
import org.postwarden.text.LogSafe;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The outbound guard's state and decisions: sender profiles, suspensions, and which queued message belongs to whom.
 * One per daemon (it outlives configuration reloads; every engine gets the same one).
 *
 * <p>Senders ("subjects") are {@code user:NAME} for SASL users and {@code client:ADDRESS} for unauthenticated
 * clients in {@code networks.trusted}. A SASL user has one profile; a trusted client has one per envelope-sender
 * domain ({@code client:ADDRESS from DOMAIN}) and one over all its mail ({@code client:ADDRESS}). An anomaly in any
 * of them suspends the subject: that message and every further one is held (or deferred) until
 * {@link #release}.
 *
 * <p>Thread-safe: profiles are guarded by their own monitor, suspensions live in a concurrent map. Nothing here
 * blocks except {@link #release}, {@link #purge} and {@link #toHold} callers' commands, which run off the event
 * loops (admin API threads, the queue watcher's thread).
 */
public final class OutboundGuard implements DeliveryOutcomes, Suspensions, HoldTargets {
    private static final Logger LOG = LoggerFactory.getLogger("org.postwarden.outbound");
    private static final int MAX_SENDERS = 32;
    private static final int MAX_QUEUE_IDS = 20_000;
    static final String SUSPENDED = "suspended";

    private final TimeSource time;
    private final PostwardenMetrics metrics;
    private final AlertSink alerts;
    private final QueueCommands queue;
    private final Cache<String, SenderProfile> profiles;
    private final Map<String, State> suspensions = new ConcurrentHashMap<>();
    private final Cache<String, String[]> owners;
    private final Cache<String, Boolean> heldMessages;
    private final DistributionSummary scores;
    private volatile Rules rules;
    private volatile Runnable onChange = () -> { };

    /** A suspension as it is kept (mutable counters and id sets). */
    static final class State {
        final String subject;
        final long since;
        final String reason;
        final String detail;
        final AtomicLong held = new AtomicLong();
        final Set<String> senders = new LinkedHashSet<>();
        final Set<String> queueIds = new LinkedHashSet<>();

        State(String subject, long since, String reason, String detail) {
            this.subject = subject;
            this.since = since;
            this.reason = reason;
            this.detail = detail;
        }

        synchronized void add(String sender, String queueId) {
            if (!sender.isEmpty() && senders.size() < MAX_SENDERS) {
                senders.add(sender);
            }
            if (!queueId.isEmpty() && queueIds.size() < MAX_QUEUE_IDS) {
                queueIds.add(queueId);
            }
        }

        synchronized Suspension view() {
            return new Suspension(subject, since, reason, detail, held.get(), List.copyOf(senders),
                    List.copyOf(queueIds));
        }
    }

    /**
     * What the guard found for one event: a reason (bounded: a dimension name, {@code identical-content},
     * {@code new-network}, {@code trusted-relay}, {@code failures}, or {@code suspended}), the value and threshold
     * behind it, and a text for the log and the SMTP reply.
     */
    public record Finding(String reason, double value, double threshold, String detail) {
    }

    /**
     * @param rules   the configuration at start (replaced by {@link #rules(Rules)} on reload)
     * @param queue   runs postqueue/postsuper for release and purge (null: those only lift the suspension)
     */
    public OutboundGuard(Rules rules, TimeSource time, PostwardenMetrics metrics, AlertSink alerts,
            QueueCommands queue) {
        PostwardenConfig.Outbound o = rules.config().outbound();
        this.rules = rules;
        this.time = time;
        this.metrics = metrics;
        this.alerts = alerts;
        this.queue = queue;
        this.profiles = Caffeine.newBuilder().maximumSize(o.maxProfiles())
                .expireAfterAccess(o.profileExpiry()).ticker(time::nanos).build();
        this.owners = Caffeine.newBuilder().maximumSize(200_000).expireAfterWrite(Duration.ofDays(6))
                .ticker(time::nanos).build();
        this.heldMessages = Caffeine.newBuilder().maximumSize(100_000).expireAfterWrite(Duration.ofHours(6))
                .ticker(time::nanos).build();
        this.scores = DistributionSummary.builder("postwarden.outbound.anomaly.score")
                .description("Per message: the sender's highest count in the sliding hour divided by its threshold "
                        + "(1 or more is an anomaly)")
                .serviceLevelObjectives(0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 5, 10)
                .register(metrics.registry());
        metrics.gauge("postwarden.outbound.suspended", "Senders suspended now", suspensions::size);
        metrics.gauge("postwarden.outbound.profiles", "Sender profiles kept", profiles::estimatedSize);
    }

    /** Applies a reloaded configuration (thresholds at once; the profile capacity too). */
    public void rules(Rules next) {
        this.rules = next;
        long max = next.config().outbound().maxProfiles();
        profiles.policy().eviction().ifPresent(e -> e.setMaximum(max));
        Duration expiry = next.config().outbound().profileExpiry();
        profiles.policy().expireAfterAccess().ifPresent(e -> e.setExpiresAfter(expiry));
    }

    /** The configuration the guard works with now. */
    public Rules currentRules() {
        return rules;
    }

    /** Called (on the changing thread) when a suspension starts or ends, so the state can be saved soon. */
    public void onChange(Runnable r) {
        this.onChange = r;
    }

    public TimeSource time() {
        return time;
    }

    // ---- events ------------------------------------------------------------------------------------------------

    /** The subject of {@code e} under {@code r}, or null when the guard does not profile it. */
    public static String subjectOf(MailEvent e, Rules r) {
        PostwardenConfig.Outbound o = r.config().outbound();
        if (e.authenticated()) {
            return r.allowlistedUser(e.saslUsername()) ? null : "user:" + e.saslUsername();
        }
        if (o.trustedNetworks() && e.client() != null && r.trusted(e.client())) {
            return "client:" + e.client().getHostAddress();
        }
        return null;
    }

    /** True when {@code sender} is in {@code outbound.allow-senders} (an address, or its {@code @domain}). */
    static boolean allowedSender(String sender, PostwardenConfig.Outbound o) {
        if (sender.isEmpty() || o.allowSenders().isEmpty()) {
            return false;
        }
        String s = sender.toLowerCase(Locale.ROOT);
        int at = s.lastIndexOf('@');
        String domain = at < 0 ? "" : s.substring(at);
        for (String a : o.allowSenders()) {
            String x = a.toLowerCase(Locale.ROOT);
            if (x.equals(s) || x.startsWith("@") && x.equals(domain)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Counts {@code e} into its sender's profiles and decides: null when the event is fine (or not profiled), else
     * why it must be held. {@code freshRecipient}/{@code freshMessage}: this event is the first report of that
     * recipient/message (the other listener's repeat is not counted again); {@code recipientsAtEnd}: the
     * message's recipients are known only from END-OF-MESSAGE; {@code freshContent}: this END-OF-MESSAGE is the
     * first report of the message's content fingerprint. In {@code dryRun} nobody is suspended.
     */
    public Finding observe(MailEvent e, Rules r, boolean freshRecipient, boolean freshMessage,
            boolean recipientsAtEnd, boolean freshContent, boolean dryRun) {
        if (rules != r) {
            rules = r;
        }
        PostwardenConfig.Outbound o = r.config().outbound();
        SmtpStage stage = e.stage();
        if (!o.enabled() || stage != SmtpStage.RCPT && stage != SmtpStage.DATA && stage != SmtpStage.END_OF_MESSAGE) {
            return null;
        }
        String subject = subjectOf(e, r);
        if (subject == null || allowedSender(e.sender(), o)) {
            return null;
        }
        long now = time.millis();
        String[] keys = profileKeys(subject, e);
        if (!e.queueId().isEmpty()) {
            owners.put(e.queueId(), keys);
        }
        State suspended = suspensions.get(subject);
        if (suspended != null) {
            suspended.add(e.sender(), e.queueId());
            if (firstHold(e)) {
                suspended.held.incrementAndGet();
            }
            metrics.registry().counter("postwarden.outbound.holds", "reason", SUSPENDED).increment();
            return new Finding(SUSPENDED, suspended.held.get(), 0, "sending suspended for " + display(subject)
                    + " since " + java.time.Instant.ofEpochMilli(suspended.since) + " (" + suspended.reason
                    + "); held for review");
        }
        Finding worst = null;
        double score = 0;
        for (String key : keys) {
            SenderProfile p = profiles.get(key, k -> new SenderProfile(o.knownRecipients()));
            synchronized (p) {
                roll(p, key, o, now);
                p.lastSeenMillis = now;
                boolean newNet = false;
                if (e.authenticated() && e.client() != null && stage == SmtpStage.RCPT && freshRecipient) {
                    newNet = p.network(network(e.client()), now, o.newNetwork().window());
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
                Finding f = evaluate(p, subject, key, e, o, now);
                if (newNet) {
                    LOG.info("{} logged in from a network it never used: {} (thresholds x{} for {})",
                            display(subject), network(e.client()), o.newNetwork().factor(),
                            Durations.format(o.newNetwork().window()));
                }
                if (stage == SmtpStage.END_OF_MESSAGE && !e.fingerprint().isEmpty()
                        && o.identicalContentRecipients() > 0 && freshContent) {
                    double same = p.fingerprint(fingerprint(e.fingerprint()),
                            Math.max(1, e.recipientCount()), now);
                    if (f == null && same > o.identicalContentRecipients()) {
                        f = new Finding("identical-content", same, o.identicalContentRecipients(),
                                display(subject) + " sent one content to " + (long) same
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
            State s = suspend(subject, worst, e, now);
            s.add(e.sender(), e.queueId());
            if (firstHold(e)) {
                s.held.incrementAndGet();
            }
            metrics.registry().counter("postwarden.outbound.holds", "reason", worst.reason()).increment();
        }
        return worst;
    }

    /** Rolls profile {@code key} to {@code now}; its hours are not learned while its subject is suspended. */
    private void roll(SenderProfile p, String key, PostwardenConfig.Outbound o, long now) {
        int from = key.indexOf(" from ");
        p.roll(now, o.baseline(), suspensions.containsKey(from < 0 ? key : key.substring(0, from)));
    }

    /** True the first time an event of this message is seen holding (queue id and instance both remembered). */
    private boolean firstHold(MailEvent e) {
        boolean fresh = true;
        if (!e.queueId().isEmpty()) {
            fresh &= heldMessages.asMap().putIfAbsent("q|" + e.queueId(), Boolean.TRUE) == null;
        }
        if (!e.instance().isEmpty()) {
            fresh &= heldMessages.asMap().putIfAbsent("i|" + e.source() + "|" + e.instance(), Boolean.TRUE) == null;
        }
        return fresh;
    }

    private static String[] profileKeys(String subject, MailEvent e) {
        if (subject.startsWith("user:")) {
            return new String[] {subject};
        }
        String domain = e.senderDomain().isEmpty() ? "<>" : e.senderDomain();
        return new String[] {subject + " from " + domain, subject};
    }

    private Finding evaluate(SenderProfile p, String subject, String key, MailEvent e, PostwardenConfig.Outbound o,
            long now) {
        for (int d = 0; d < SenderProfile.DIMENSIONS; d++) {
            double v = p.recent(d, now);
            double t = p.threshold(d, o, now);
            if (v > t) {
                String reason = subject.startsWith("client:") ? "trusted-relay"
                        : p.newNetwork(now) ? "new-network" : SenderProfile.DIMENSION_NAMES[d];
                String detail = display(key) + ": " + (long) v + " " + SenderProfile.DIMENSION_NAMES[d]
                        + " in the last hour, threshold " + round(t) + " (baseline " + round(p.baseline[d])
                        + " per active hour" + (p.newNetwork(now) ? ", lowered after a login from a new network"
                        : "") + (subject.startsWith("client:") ? ", unauthenticated from a trusted network" : "")
                        + ")";
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

    private static String round(double v) {
        return v >= 10 ? Long.toString(Math.round(v)) : String.format(Locale.ROOT, "%.1f", v);
    }

    private static String display(String subject) {
        return LogSafe.escape(subject, 120);
    }

    /** The /24 (IPv4) or /64 (IPv6) of {@code a}, as text. */
    static String network(InetAddress a) {
        byte[] b = a.getAddress();
        if (b.length == 4) {
            return (b[0] & 255) + "." + (b[1] & 255) + "." + (b[2] & 255) + ".0/24";
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 8; i += 2) {
            sb.append(Integer.toHexString((b[i] & 255) << 8 | (b[i + 1] & 255))).append(':');
        }
        return sb.append(":/64").toString();
    }

    private static long fingerprint(String hex) {
        long h = 1125899906842597L;
        for (int i = 0; i < hex.length(); i++) {
            h = 31 * h + hex.charAt(i);
        }
        return h;
    }

    private State suspend(String subject, Finding why, MailEvent e, long now) {
        State fresh = new State(subject, now, why.reason(), why.detail());
        State s = suspensions.putIfAbsent(subject, fresh);
        if (s != null) {
            return s;
        }
        metrics.registry().counter("postwarden.outbound.suspensions", "reason", why.reason()).increment();
        PostwardenConfig.Outbound o = rules.config().outbound();
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("reason", why.reason());
        details.put("value", why.value());
        details.put("threshold", why.threshold());
        details.put("detail", why.detail());
        details.put("action", o.action());
        if (e != null) {
            details.put("client", e.client() == null ? "unknown" : e.client().getHostAddress());
            details.put("sender", e.sender());
        }
        details.put("release", "postwarden ctl release " + subject);
        alerts.raise(new Alert("outbound-suspension", subject, "outbound mail of " + subject + " suspended ("
                + why.reason() + "): " + why.detail() + "; further messages are "
                + ("defer".equals(o.action()) ? "deferred" : "held") + " until released", details, now));
        onChange.run();
        return fresh;
    }

    // ---- delivery results (DeliveryOutcomes) -------------------------------------------------------------------

    @Override
    public void delivery(String queueId, Status status, long timeMillis) {
        String[] keys = owners.getIfPresent(queueId);
        if (keys == null) {
            return;
        }
        Rules r = rules;
        PostwardenConfig.Outbound o = r.config().outbound();
        if (!o.enabled() || !r.enabled("outbound")) {
            return;
        }
        long now = time.millis();
        String subject = keys[keys.length - 1];
        boolean failed = status != Status.SENT;
        Finding worst = null;
        for (String key : keys) {
            SenderProfile p = profiles.getIfPresent(key);
            if (p == null) {
                continue;
            }
            synchronized (p) {
                roll(p, key, o, now);
                p.outcome(failed);
                double[] x = p.recentOutcomes(now);
                if (worst == null && failed && x[0] >= o.failures().minDeliveries()
                        && x[1] / x[0] > o.failures().maxShare()) {
                    worst = new Finding("failures", x[1] / x[0], o.failures().maxShare(), display(key) + ": "
                            + (long) x[1] + " of its last " + (long) x[0] + " deliveries were bounced or deferred "
                            + "downstream (share " + round(x[1] / x[0]) + " > " + o.failures().maxShare() + ")");
                }
            }
        }
        if (worst != null && !r.dryRun("outbound") && !suspensions.containsKey(subject)) {
            suspend(subject, worst, null, now);
        } else if (worst != null && r.dryRun("outbound")) {
            LOG.warn("dry-run: would suspend {}: {}", display(subject), worst.detail());
        }
    }

    // ---- queue watcher (HoldTargets) ---------------------------------------------------------------------------

    @Override
    public List<String> toHold(List<QueuedMessage> messages) {
        if (suspensions.isEmpty()) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        for (QueuedMessage m : messages) {
            if ("hold".equals(m.queueName())) {
                continue;
            }
            String[] keys = owners.getIfPresent(m.queueId());
            State s = keys == null ? null : suspensions.get(keys[keys.length - 1]);
            if (s != null) {
                s.add("", m.queueId());
                out.add(m.queueId());
            }
        }
        return out;
    }

    // ---- admin (Suspensions) -----------------------------------------------------------------------------------

    @Override
    public List<Suspension> list() {
        return suspensions.values().stream().map(State::view)
                .sorted(Comparator.comparingLong(Suspension::sinceMillis)).toList();
    }

    @Override
    public Optional<Suspension> of(String subject) {
        State s = suspensions.get(Suspensions.subject(subject));
        return s == null ? Optional.empty() : Optional.of(s.view());
    }

    @Override
    public Optional<Outcome> release(String name) {
        String subject = Suspensions.subject(name);
        State s = suspensions.remove(subject);
        if (s == null) {
            return Optional.empty();
        }
        forgetBurst(subject);
        onChange.run();
        Suspension view = s.view();
        int released = 0;
        String error = "";
        try {
            List<String> ids = heldOf(s);
            released = ids.isEmpty() ? 0 : queue.release(ids);
        } catch (IOException | RuntimeException e) {
            error = e.getMessage() == null ? e.toString() : e.getMessage();
        }
        metrics.registry().counter("postwarden.outbound.admin.actions", "action", "release", "result",
                error.isEmpty() ? "ok" : "error").increment();
        LOG.info("admin: released {} (suspended since {} for {}): {} held message(s) released from the hold queue{}",
                display(subject), java.time.Instant.ofEpochMilli(s.since), s.reason, released,
                error.isEmpty() ? "" : "; queue command failed: " + error);
        return Optional.of(new Outcome(view, released, error));
    }

    @Override
    public Optional<Outcome> purge(String name) {
        String subject = Suspensions.subject(name);
        State s = suspensions.get(subject);
        if (s == null) {
            return Optional.empty();
        }
        int deleted = 0;
        String error = "";
        try {
            List<String> ids = heldOf(s);
            deleted = ids.isEmpty() ? 0 : queue.delete(ids);
            synchronized (s) {
                s.queueIds.removeAll(ids);
            }
        } catch (IOException | RuntimeException e) {
            error = e.getMessage() == null ? e.toString() : e.getMessage();
        }
        metrics.registry().counter("postwarden.outbound.admin.actions", "action", "purge", "result",
                error.isEmpty() ? "ok" : "error").increment();
        LOG.info("admin: purged the held messages of {}: {} deleted{}; still suspended", display(subject), deleted,
                error.isEmpty() ? "" : "; queue command failed: " + error);
        onChange.run();
        return Optional.of(new Outcome(s.view(), deleted, error));
    }

    /**
     * Drops the current and previous hour's counts of {@code subject}'s profiles, so a released sender starts
     * afresh instead of tripping again at its next message, and the burst never becomes part of its baseline.
     */
    private void forgetBurst(String subject) {
        for (Map.Entry<String, SenderProfile> en : profiles.asMap().entrySet()) {
            String k = en.getKey();
            if (k.equals(subject) || k.startsWith(subject + " from ")) {
                SenderProfile p = en.getValue();
                synchronized (p) {
                    p.forgetRecent();
                }
            }
        }
    }

    /**
     * The hold-queue messages of suspension {@code s}: held under its known queue ids, owned by its subject, or
     * sent by one of its envelope senders since it started.
     */
    private List<String> heldOf(State s) throws IOException {
        if (queue == null) {
            throw new IOException("no queue commands configured (outbound.queue.postsuper-command)");
        }
        Set<String> known;
        Set<String> senders;
        synchronized (s) {
            known = new LinkedHashSet<>(s.queueIds);
            senders = new LinkedHashSet<>(s.senders);
        }
        List<String> ids = new ArrayList<>();
        for (QueuedMessage m : queue.list().messages()) {
            if (!"hold".equals(m.queueName())) {
                continue;
            }
            String[] keys = owners.getIfPresent(m.queueId());
            boolean owned = keys != null && s.subject.equals(keys[keys.length - 1]);
            boolean bySender = senders.contains(m.sender()) && m.arrivalTimeSeconds() * 1000 >= s.since - 60_000;
            if (known.contains(m.queueId()) || owned || bySender) {
                ids.add(m.queueId());
            }
        }
        return ids;
    }

    // ---- persistence -------------------------------------------------------------------------------------------

    Map<String, SenderProfile> profiles() {
        return profiles.asMap();
    }

    Map<String, State> suspensionStates() {
        return suspensions;
    }

    void restore(String key, SenderProfile p) {
        profiles.put(key, p);
    }

    void restore(State s) {
        suspensions.put(s.subject, s);
    }

    long expiryMillis() {
        return rules.config().outbound().profileExpiry().toMillis();
    }

    /** Profiles kept now (approximate). */
    public long profileCount() {
        return profiles.estimatedSize();
    }

    /** A read-only look at one profile for explain: per dimension {recent, threshold, baseline}, or empty. */
    public Optional<Map<String, double[]>> explain(String profileKey) {
        SenderProfile p = profiles.getIfPresent(profileKey);
        if (p == null) {
            return Optional.empty();
        }
        PostwardenConfig.Outbound o = rules.config().outbound();
        long now = time.millis();
        Map<String, double[]> out = new LinkedHashMap<>();
        synchronized (p) {
            roll(p, profileKey, o, now);
            for (int d = 0; d < SenderProfile.DIMENSIONS; d++) {
                out.put(SenderProfile.DIMENSION_NAMES[d],
                        new double[] {p.recent(d, now), p.threshold(d, o, now), p.baseline[d]});
            }
        }
        return Optional.of(out);
    }
}
