package org.postwarden.engine;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.micrometer.core.instrument.Counter;
import org.postwarden.api.BanListener;
import org.postwarden.api.LogSignal;
import org.postwarden.api.SignalOutcome;
import org.postwarden.config.BanDurations;
import org.postwarden.dnsbl.ScannerCheck;
import org.postwarden.engine.SignalState.Sources;
import org.postwarden.metrics.PostwardenMetrics;
import org.postwarden.model.Addresses;
import org.postwarden.model.Cidr;
import org.postwarden.model.ClientKey;
import org.postwarden.model.KeyLevel;
import org.postwarden.model.Signal;
import org.postwarden.model.TimeSource;
import org.postwarden.reputation.Ban;
import org.postwarden.reputation.Mark;
import org.postwarden.reputation.ReputationStore;
import org.postwarden.rules.BanRules;
import org.postwarden.rules.NetworkTier;
import org.postwarden.rules.Rules;
import org.postwarden.text.LogSafe;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Applies log signals to the shared store and issues bans: the engine's side of log ingestion. The store counts
 * (scores per key, per user), this class decides (ban, refuse to ban, alert).
 *
 * <p>Per signal: the configured weight times the count (for a log line: the count at most
 * {@code ingest.max-attempts-per-line}, the product at most {@code ingest.max-line-share} × {@code bans.threshold},
 * so that no single line bans) is added to the client's own scores (host; IPv6 also the
 * /64) and, capped per child, to its networks' (the /24, per host; each IPv6 tier, per child prefix), see
 * {@link NetworkScores};
 * for a failed login also to the user's own score. Then, when {@code bans.threshold} is positive and the ban check
 * is enabled:
 * <ul>
 * <li>IPv4: the /32 is banned when its score reaches the threshold; the /24 when its score (each address adding at
 * most the threshold) reaches threshold × {@code scoring.subnet-factor} and at least {@code bans.subnet-min-hosts}
 * of its addresses contributed;</li>
 * <li>IPv6: the /64 is banned when its score reaches the threshold (a /64 is one site); a tier of
 * {@code networks.ipv6-tiers} (e.g. the /56, the /48) when its score (each child prefix adding at most the tier's
 * cap) reaches threshold × {@code scoring.subnet-factor} and at least its {@code ban-min-children} distinct child
 * prefixes contributed, but never one wider than {@code bans.max-ipv6-prefix};</li>
 * <li>the ban lasts the step of {@code bans.durations} for the key's earlier offenses (escalation);</li>
 * <li>never banned: ignored networks (and allowlisted, own addresses), a key that is or holds a network of
 * {@code networks.trusted}, own addresses or the allowlist (a WARN line instead), a key already covered by an
 * active ban, a private-range key holding the address that carries most private-range traffic (the Docker-gateway
 * trap: an ERROR line instead), and forward-confirmed research scanners (looked up asynchronously through
 * {@link ScannerCheck} before a host ban; cached; known scanners are not even scored).</li>
 * </ul>
 * A user whose own score reaches {@code bans.user-alert-threshold} raises an alert (logger
 * {@code org.postwarden.alert}, at most once per {@code bans.user-alert-interval}), however many addresses the
 * attempts came from.
 *
 * <p>Thread-safe: signals may come from several sources at once; issuing a ban is serialised. What it learns
 * besides scores (the failed-login scores of accounts and which addresses tried them, when a user was last alerted
 * on, the private-range traffic shares) lives in the store as the kinds of {@link SignalState}, and which hosts
 * added how much to a network as {@link NetworkScores}': bounded, persisted by the snapshot, shared with the rest
 * of the store.
 */
public final class SignalRecorder {
    private static final Logger LOG = LoggerFactory.getLogger("org.postwarden.ban");
    private static final Logger ALERT = LoggerFactory.getLogger("org.postwarden.alert");
    private static final long LOG_EVERY_MILLIS = Duration.ofMinutes(10).toMillis();
    private static final int MAX_SOURCES = SignalState.MAX_SOURCES;

    private final TimeSource time;
    private final ScannerCheck scanners;
    private final BanListener listener;
    private final PostwardenMetrics metrics;
    private final Cache<ClientKey, Long> lastRefusalLog;
    private final Set<ClientKey> pendingLookups = ConcurrentHashMap.newKeySet();
    private final Object banLock = new Object();

    /**
     * @param metrics  where signals, bans and refusals are counted
     * @param time     the clock of those stores (log time in a replay)
     * @param scanners research-scanner check, or null for none (replay, tests)
     * @param listener told about bans, refusals and alerts
     */
    public SignalRecorder(PostwardenMetrics metrics, TimeSource time, ScannerCheck scanners,
            BanListener listener) {
        this.time = time;
        this.scanners = scanners;
        this.listener = listener == null ? BanListener.NONE : listener;
        this.metrics = metrics;
        this.lastRefusalLog = Caffeine.newBuilder().maximumSize(10_000)
                .expireAfterWrite(Duration.ofMillis(LOG_EVERY_MILLIS)).ticker(time::nanos).build();
    }

    /** The session mark under which a listener notes a relay attempt it scored (address, recipient). */
    public static String relayMark(InetAddress client, String recipient) {
        return Mark.RELAY_ATTEMPT.key(Addresses.format(client), recipient.toLowerCase(Locale.ROOT));
    }

    /** The rules and the store one signal is recorded with (an engine's, captured for its asynchronous ban). */
    record Scope(Rules rules, ReputationStore store) {
    }

    /**
     * Records one log signal under {@code rules} in {@code store}. Never blocks (scanner lookups run
     * asynchronously and then ban in the same store).
     */
    public SignalOutcome record(LogSignal s, Rules rules, ReputationStore store) {
        int maxCount = rules.config().ingest().maxAttemptsPerLine();
        if (s.signal() == Signal.AUTH_FAILURE && s.client() != null && !s.user().isEmpty()) {
            // a failure the auth-policy endpoint was told about already is not counted again from its log line
            int left = AuthState.consumeReported(store, s.client(), s.user(), s.count());
            if (left == 0) {
                return SignalOutcome.DUPLICATE;
            }
            if (left < s.count()) {
                s = new LogSignal(s.signal(), s.client(), s.user(), left, s.detail(), s.relayRecipient());
            }
        }
        if (s.count() > maxCount) {
            s = new LogSignal(s.signal(), s.client(), s.user(), maxCount, s.detail(), s.relayRecipient());
        }
        return apply(s, rules, store, maxLineWeight(rules));
    }

    /**
     * The most points one log line adds: {@code ingest.max-line-share} × {@code bans.threshold} (below the
     * threshold, so that no single line, which anyone who can write to syslog may forge, bans); unbounded when bans
     * are off.
     */
    static double maxLineWeight(Rules rules) {
        double t = rules.bans().threshold();
        return t > 0 ? t * rules.config().ingest().maxLineShare() : Double.POSITIVE_INFINITY;
    }

    /** {@link #record} without the check for failures the auth policy counted (the auth policy's own way in). */
    SignalOutcome apply(LogSignal s, Rules rules, ReputationStore store) {
        return apply(s, rules, store, Double.POSITIVE_INFINITY);
    }

    private SignalOutcome apply(LogSignal s, Rules rules, ReputationStore store, double maxWeight) {
        Scope e = new Scope(rules, store);
        BanRules b = rules.bans();
        InetAddress ip = s.client();
        if (ip != null && b.privateRange(ip)) {
            traffic(store).observe(ip, b.config().privateMajority().halfLife(), time.millis());
        }
        Signal signal = s.signal();
        if (signal == null) {
            return SignalOutcome.TRAFFIC;
        }
        metrics.signal(signal);
        double w = Math.min(rules.weight(signal) * s.count(), maxWeight);
        if (signal == Signal.AUTH_FAILURE && !s.user().isEmpty() && w > 0 && !b.ignoredUser(s.user())) {
            user(store, b, s, ip, w);
        }
        if (ip == null) {
            return SignalOutcome.SCORED;
        }
        if (b.ignored(ip)) {
            return SignalOutcome.IGNORED;
        }
        if (scanners != null && b.config().scanners().enabled()) {
            Optional<String> known = scanners.cached(ip);
            if (known != null && known.isPresent()) {
                return SignalOutcome.SCANNER;
            }
        }
        if (!s.relayRecipient().isEmpty() && store.marks().marked(relayMark(ip, s.relayRecipient()))) {
            return SignalOutcome.DUPLICATE;
        }
        if (w == 0) {
            return SignalOutcome.SCORED;
        }
        NetworkScores.Levels levels = NetworkScores.levels(ip, rules);
        // compared as they are now: read again a millisecond later, a score of exactly the threshold has decayed
        NetworkScores.Scores scores = NetworkScores.add(store, rules, levels, w);
        if (w > 0 && b.threshold() > 0 && rules.enabled("ban")) {
            bans(e, ip, levels, scores, signal, s.detail());
        }
        return SignalOutcome.SCORED;
    }

    private void user(ReputationStore store, BanRules b, LogSignal s, InetAddress ip, double w) {
        String user = s.user();
        double score = store.table(SignalState.USER_SCORES).getOrCreate(user, k -> new SignalState.Score())
                .add(w, time.millis(), store.settings().halfLife().toMillis());
        Sources src = store.table(SignalState.USER_SOURCES).getOrCreate(user, k -> new Sources());
        if (ip != null) {
            src.add(ip);
        }
        double threshold = b.config().userAlertThreshold();
        if (threshold <= 0 || score < threshold) {
            return;
        }
        long now = time.millis();
        long every = b.config().userAlertInterval().toMillis();
        long[] last = store.table(SignalState.USER_ALERTS).getOrCreate(user, k -> new long[] {Long.MIN_VALUE});
        synchronized (last) {
            if (last[0] != Long.MIN_VALUE && now - last[0] < every) {
                return;
            }
            last[0] = now;
        }
        int n = src.size();
        ALERT.warn("possible password guessing against SASL user {}: failed-login score {} >= {} "
                + "(bans.user-alert-threshold) from {}{} client address(es); last from {}: {}",
                LogSafe.escape(user, 64), fmt(score), fmt(threshold), n, n >= MAX_SOURCES ? "+" : "",
                ip == null ? "unknown" : Addresses.format(ip), s.detail());
        counter("postwarden.alerts", "Alerts raised (log signals, outbound guard, queue watcher)", "kind", "sasl-user").increment();
        listener.userAlert(user, score, n);
    }

    /**
     * The bans due after a signal: the host (IPv4 /32, IPv6 /64) at the threshold; each network (the /24, each IPv6
     * tier that is not wider than bans.max-ipv6-prefix) at threshold x subnet-factor with its crowd for a ban.
     */
    private void bans(Scope e, InetAddress ip, NetworkScores.Levels levels, NetworkScores.Scores scores,
            Signal signal, String detail) {
        Rules rules = e.rules();
        double t = rules.bans().threshold();
        double own = levels.host().v6() ? scores.subnet() : scores.host();
        if (own >= t) {
            consider(e, ip, levels.member(), signal, "score " + fmt(own) + " >= " + fmt(t) + "; last: " + detail,
                    true);
        }
        double limit = t * rules.config().scoring().subnetFactor();
        for (int i = 0; i < levels.networks().size(); i++) {
            NetworkTier tier = levels.tiers().get(i);
            double ns = scores.networks()[i];
            if (ns < limit || tier.banMinChildren() <= 0 || !tier.bannable()) {
                continue;
            }
            ClientKey net = levels.networks().get(i);
            int n = NetworkScores.contributors(e.store(), net);
            if (n >= tier.banMinChildren()) {
                consider(e, ip, net, signal, "score " + fmt(ns) + " >= " + fmt(limit) + " from "
                        + (levels.host().v6() ? tier.count(n) : n + " addresses") + "; last: " + detail, false);
            }
        }
    }

    /** A ban of {@code key} is due: check the guards, then issue it (after a scanner lookup when asked to). */
    private void consider(Scope e, InetAddress ip, ClientKey key, Signal signal, String why,
            boolean scannerLookup) {
        ReputationStore store = e.store();
        BanRules b = e.rules().bans();
        if (covered(store, ip, key, e.rules()) || b.permanentNetwork(ip) != null) {
            return;
        }
        Cidr ours = e.rules().protectedIn(new Cidr(key.address(), key.prefix()));
        if (ours != null) {
            refuseProtected(key, ours, why);
            return;
        }
        double share = b.config().privateMajority().share();
        if (share > 0) {
            PrivateTraffic traffic = traffic(store);
            InetAddress top = traffic.top();
            if (top != null && contains(key, top)) {
                double have = traffic.share(top, b.config().privateMajority().halfLife(), time.millis());
                if (have >= share) {
                    refusePrivateMajority(key, top, have, share);
                    return;
                }
            }
        }
        if (scannerLookup && scanners != null && b.config().scanners().enabled()) {
            if (!pendingLookups.add(key)) {
                return;
            }
            scanners.scanner(ip).whenComplete((name, err) -> {
                try {
                    if (err == null && name != null && name.isPresent()) {
                        String d = Addresses.format(ip) + " is research scanner " + LogSafe.escape(name.get(), 200)
                                + " (forward-confirmed reverse DNS): logged, not banned (" + why + ")";
                        LOG.info("not banning {}: {}", key.cidr(), d);
                        counter("postwarden.ban.refusals", "Bans due but not issued", "reason", "scanner")
                                .increment();
                        listener.refused(key, "scanner", d);
                    } else {
                        issue(e, ip, key, signal, why);
                    }
                } catch (RuntimeException ex) {
                    LOG.error("cannot issue ban of {}", key.cidr(), ex);
                } finally {
                    pendingLookups.remove(key);
                }
            });
            return;
        }
        issue(e, ip, key, signal, why);
    }

    private void issue(Scope e, InetAddress ip, ClientKey key, Signal signal, String why) {
        ReputationStore store = e.store();
        Rules rules = e.rules();
        BanRules b = rules.bans();
        Ban ban;
        boolean dryRun = rules.dryRun("ban");
        synchronized (banLock) {
            if (covered(store, ip, key, rules)) {
                return;
            }
            int earlier = store.offenses(key);
            Duration d = b.duration(earlier);
            String detail = key.level().label() + " " + key.cidr() + ": " + why;
            if (dryRun) {
                if (logNow(key)) {
                    LOG.info("DRY-RUN: would ban {} {} for {} (offense {}): {}", key.level().label(), key.cidr(),
                            BanDurations.format(d), earlier + 1, detail);
                    counter("postwarden.ban.refusals", "Bans due but not issued", "reason", "dry-run").increment();
                    long now = time.millis();
                    listener.banned(new Ban(key, now, d == null ? Long.MAX_VALUE : now + d.toMillis(),
                            signal.label(), detail, earlier + 1), true);
                }
                return;
            }
            ban = store.ban(key, d, signal.label(), detail);
        }
        LOG.info("banned {} {} {} (offense {}, {}): {}", key.level().label(), key.cidr(),
                ban.permanent() ? "permanently" : "until " + Instant.ofEpochMilli(ban.untilMillis()), ban.offense(),
                signal.label(), ban.detail());
        counter("postwarden.bans.issued", "Bans issued from log signals", "level", key.level().label(),
                "reason", signal.label()).increment();
        listener.banned(ban, false);
    }

    /**
     * Whether {@code key} or a wider key of the same address already has an active ban: its own levels, its
     * networks (the tiers) and the {@code store.ipv6-wide-prefix} key.
     */
    private static boolean covered(ReputationStore store, InetAddress ip, ClientKey key, Rules rules) {
        NetworkScores.Levels k = NetworkScores.levels(ip, rules);
        List<ClientKey> all = new ArrayList<>(List.of(k.host(), k.subnet()));
        if (key.v6()) {
            all.addAll(k.networks());
            all.add(ClientKey.of(ip, KeyLevel.WIDE, rules.widePrefix()));
        }
        for (ClientKey c : all) {
            boolean wider = c.level().ordinal() > key.level().ordinal()
                    || c.level() == key.level() && c.prefix() <= key.prefix();
            if (wider && store.activeBan(c).isPresent()) {
                return true;
            }
        }
        return false;
    }

    private static boolean contains(ClientKey key, InetAddress a) {
        boolean v6 = a.getAddress().length == 16;
        return v6 == key.v6() && ClientKey.of(a, key.level(), key.prefix()).equals(key);
    }

    /**
     * A ban of {@code key} would reach {@code ours}, a network of {@code networks.trusted} (or own or allowlisted:
     * those are not even scored, but a network around them may be): never banned, a warning instead.
     */
    private void refuseProtected(ClientKey key, Cidr ours, String why) {
        String d = key.cidr() + " holds " + ours + " of networks.trusted, networks.own-addresses or "
                + "allowlist.clients (" + why + ")";
        counter("postwarden.ban.refusals", "Bans due but not issued", "reason", "trusted").increment();
        listener.refused(key, "trusted", d);
        if (logNow(key)) {
            LOG.warn("NOT banning {} {}: {}. Our own and trusted hosts are never banned; if that host misbehaves, "
                    + "look at it (the outbound guard may hold its mail), or remove it from networks.trusted.",
                    key.level().label(), key.cidr(), d);
        }
    }

    private void refusePrivateMajority(ClientKey key, InetAddress top, double have, double share) {
        String d = String.format(Locale.ROOT, "%s carries %.0f%% of the recent log traffic from private ranges "
                + "(bans.private-majority.share %.2f)", Addresses.format(top), have * 100, share);
        counter("postwarden.ban.refusals", "Bans due but not issued", "reason", "private-majority").increment();
        listener.refused(key, "private-majority", d);
        if (logNow(key)) {
            LOG.error("NOT banning {} {}: {}. It looks like a NAT, proxy or Docker gateway in front of Postfix that "
                    + "hides the real client addresses (the Docker-gateway trap): banning it would refuse every "
                    + "client. Make Postfix see the real addresses (host networking, no userland proxy, the PROXY "
                    + "protocol), or put it in bans.ignore-networks; bans.private-majority.share: 0 turns this "
                    + "guard off.", key.level().label(), key.cidr(), d);
        }
    }

    private boolean logNow(ClientKey key) {
        return lastRefusalLog.asMap().putIfAbsent(key, time.millis()) == null;
    }

    private Counter counter(String name, String description, String... tags) {
        return Counter.builder(name).description(description).tags(tags).register(metrics.registry());
    }

    private static String fmt(double d) {
        return String.format(Locale.ROOT, "%.1f", d);
    }

    /** The private-range traffic of {@code store}. */
    private static PrivateTraffic traffic(ReputationStore store) {
        return store.table(SignalState.PRIVATE_TRAFFIC).getOrCreate(SignalState.ALL, k -> new PrivateTraffic());
    }

    /**
     * The decayed failed-login score of {@code user} (0 when unknown) in {@code store}. Kept apart from the store's
     * user counters: the names come from attackers (dictionary attacks try thousands) and must not push real users'
     * quota counters out of that bounded map.
     */
    public double userScore(String user, ReputationStore store) {
        SignalState.Score v = store.table(SignalState.USER_SCORES).get(user);
        return v == null ? 0 : v.at(time.millis(), store.settings().halfLife().toMillis());
    }
}
