package org.postwarden.admin;

import org.postwarden.admin.AdminViews.BanView;
import org.postwarden.admin.AdminViews.CategoryView;
import org.postwarden.admin.AdminViews.ClientExplanation;
import org.postwarden.admin.AdminViews.DecisionView;
import org.postwarden.admin.AdminViews.HostHistoryView;
import org.postwarden.admin.AdminViews.KeyView;
import org.postwarden.admin.AdminViews.NetworkView;
import org.postwarden.admin.AdminViews.OffenderView;
import org.postwarden.admin.AdminViews.Report;
import org.postwarden.admin.AdminViews.ScoreView;
import org.postwarden.admin.AdminViews.SignalView;
import org.postwarden.admin.AdminViews.UserExplanation;
import org.postwarden.admin.AdminViews.UserRateView;
import org.postwarden.api.Engine;
import org.postwarden.api.Suspensions;
import org.postwarden.config.Durations;
import org.postwarden.config.PostwardenConfig;
import org.postwarden.daemon.CurrentEngine;
import org.postwarden.dnsbl.DnsblStatus;
import org.postwarden.engine.DecisionEngine;
import org.postwarden.engine.NetworkScores;
import org.postwarden.engine.RecentDecisions;
import org.postwarden.model.Addresses;
import org.postwarden.model.BanKeys;
import org.postwarden.model.Cidr;
import org.postwarden.model.ClientKey;
import org.postwarden.model.KeyLevel;
import org.postwarden.model.Signal;
import org.postwarden.reputation.Ban;
import org.postwarden.reputation.CounterLayout;
import org.postwarden.reputation.CounterType;
import org.postwarden.reputation.ReputationStore;
import org.postwarden.rules.NetworkTier;
import org.postwarden.rules.Rules;
import org.postwarden.verdict.Action;
import org.postwarden.verdict.Finding;

import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/** Explain, report and ban-target parsing over one engine (the current one) and its ring of recent decisions. */
public final class AdminQueries {
    /** Most recent decisions listed per explain. */
    public static final int EXPLAIN_DECISIONS = 20;
    private static final Set<String> SIGNALS = Arrays.stream(Signal.values()).map(Signal::label)
            .collect(Collectors.toUnmodifiableSet());

    private final DecisionEngine engine;
    private final RecentDecisions recent;
    private final Suspensions suspensions;
    private final long now;

    /**
     * Queries over {@code engine} (the daemon's {@link CurrentEngine}, whose current generation is read, or a
     * {@link DecisionEngine} itself); {@code fallback} answers for suspensions when the engine has no outbound guard.
     *
     * @throws IllegalArgumentException for an engine that is neither
     */
    public AdminQueries(Engine engine, Suspensions fallback) {
        this(generation(engine), fallback);
    }

    private static DecisionEngine generation(Engine engine) {
        if (engine instanceof CurrentEngine c) {
            return c.current();
        }
        if (engine instanceof DecisionEngine d) {
            return d;
        }
        throw new IllegalArgumentException("engine: " + engine.getClass().getName()
                + " (expected the daemon's engine or a DecisionEngine)");
    }

    private AdminQueries(DecisionEngine engine, Suspensions fallback) {
        this.engine = engine;
        this.recent = engine.recent() == null ? new RecentDecisions(1) : engine.recent();
        this.suspensions = engine.outbound() != null ? engine.outbound().suspensions() : fallback;
        this.now = engine.store().time().millis();
    }

    /** The suspensions these queries answer from (the outbound guard's, or the fallback). */
    public Suspensions suspensions() {
        return suspensions;
    }

    /** Sizes for the status page: client keys, users and active bans held. */
    public Map<String, Object> storeSizes() {
        Map<String, Object> out = new java.util.LinkedHashMap<>();
        out.put("clientKeys", store().clientCount());
        out.put("users", store().userCount());
        out.put("bans", store().activeBans().size());
        return out;
    }

    /** The ring of recent decisions: how many were recorded and how many it keeps, or null without a ring. */
    public Map<String, Object> recentDecisions() {
        RecentDecisions r = engine.recent();
        return r == null ? null : Map.of("recorded", r.recorded(), "capacity", r.capacity());
    }

    /** Whether DNSBL scoring is on. */
    public boolean dnsblEnabled() {
        return engine.dnsbl() != null;
    }

    /**
     * What the DNSBL monitor knows, for the status page, or null when DNSBL is off: {@code zones} (each with its
     * {@code state} -- scoring, failing, switched-off, pending -- {@code why}, {@code lastProbe},
     * {@code lastProbeAt}, {@code probeDetail}), {@code switchedOffZones}, {@code probeIntervalSeconds}, and
     * {@code ownAddresses} ({@code checked}, {@code intervalSeconds}, {@code lastCheck}, {@code listed}: address,
     * zone, codes, since).
     */
    public Map<String, Object> dnsblMonitor() {
        if (engine.dnsbl() == null) {
            return null;
        }
        DnsblStatus ds = engine.dnsbl().status();
        Map<String, Object> out = new LinkedHashMap<>();
        List<Map<String, Object>> zones = new ArrayList<>();
        for (DnsblStatus.ZoneStatus z : ds.zones()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("zone", z.zone());
            m.put("kinds", z.kinds());
            m.put("state", z.state());
            m.put("why", z.why());
            m.put("lastProbe", z.lastProbe());
            m.put("lastProbeAt", instant(z.lastProbeMillis()));
            m.put("probeDetail", z.probeDetail());
            zones.add(m);
        }
        out.put("zones", zones);
        out.put("switchedOffZones", ds.zones().stream().filter(z -> z.state().equals("switched-off"))
                .map(DnsblStatus.ZoneStatus::zone).toList());
        out.put("probeIntervalSeconds", ds.probeIntervalSeconds());
        List<Map<String, Object>> listed = new ArrayList<>();
        for (DnsblStatus.OwnListing l : ds.ownListed()) {
            listed.add(Map.of("address", l.address(), "zone", l.zone(), "codes", l.codes(), "since",
                    instant(l.sinceMillis())));
        }
        Map<String, Object> own = new LinkedHashMap<>();
        own.put("checked", ds.ownAddresses());
        own.put("intervalSeconds", ds.ownCheckIntervalSeconds());
        own.put("lastCheck", instant(ds.lastOwnCheckMillis()));
        own.put("listed", listed);
        out.put("ownAddresses", own);
        return out;
    }

    private static String instant(long millis) {
        return millis == 0 ? null : java.time.Instant.ofEpochMilli(millis).toString();
    }

    private Rules rules() {
        return engine.rules();
    }

    private ReputationStore store() {
        return engine.store();
    }

    // ---- explain --------------------------------------------------------------------------------------------

    /** Explains client address {@code address}: what the store holds on each of its key levels, and why. */
    public ClientExplanation explainClient(InetAddress address) {
        Rules r = rules();
        PostwardenConfig.Scoring sc = r.config().scoring();
        List<String> status = new ArrayList<>();
        if (r.trustOk(address)) {
            status.add("allowlist.trust-ok: answered OK, nothing is counted or checked");
        } else if (r.exempt(address)) {
            status.add((r.ownAddress(address) ? "networks.own-addresses" : "allowlist.clients")
                    + ": exempt, never counted, limited, scored or banned");
        }
        if (r.trusted(address)) {
            status.add("networks.trusted: its RCPTs to other domains are not relay attempts");
            String subject = "client:" + Addresses.format(address);
            suspensions.of(subject).ifPresent(x -> status.add("outbound mail suspended since "
                    + AdminViews.iso(x.sinceMillis()) + " (" + x.reason() + "): " + x.detail() + "; "
                    + x.heldMessages() + " message(s) held; release with: postwarden ctl release " + subject));
            outboundProfile(subject, status);
        }
        List<KeyView> keys = new ArrayList<>();
        for (KeyLevel level : KeyLevel.values()) {
            if (level == KeyLevel.WIDE && address.getAddress().length == 4) {
                continue;
            }
            ClientKey k = ClientKey.of(address, level, r.widePrefix());
            double factor = level == KeyLevel.HOST ? 1 : sc.subnetFactor();
            Map<String, Double> thresholds = new LinkedHashMap<>();
            thresholds.put("tag", sc.thresholds().tag() * factor);
            thresholds.put("defer", sc.thresholds().defer() * factor);
            thresholds.put("reject", sc.thresholds().reject() * factor);
            CounterLayout layout = r.layout(level);
            boolean known = store().known(k);
            long[] counts = known ? store().estimates(k) : new long[layout.size()];
            BanView ban = store().activeBan(k).map(AdminViews::ban).orElse(null);
            keys.add(new KeyView(level.label(), k.cidr(), known, store().score(k), thresholds,
                    AdminViews.counters(layout, counts), ban, store().offenses(k)));
            if (ban != null) {
                status.add("banned: " + k.cidr() + (ban.permanent() ? " permanently" : " until " + ban.until())
                        + " (" + ban.reason() + ")");
            }
        }
        ClientKey host = ClientKey.of(address, KeyLevel.HOST, r.widePrefix());
        ClientKey member = host.v6() ? ClientKey.of(address, KeyLevel.SUBNET, r.widePrefix()) : host;
        NetworkScores.HistoryView h = NetworkScores.history(store(), r, member);
        HostHistoryView history = h == null ? null : new HostHistoryView(member.cidr(), h.acceptedMessages(),
                r.cleanHistoryMessages(), h.lastOwnScoreAtTagMillis() == 0 ? null
                        : AdminViews.iso(h.lastOwnScoreAtTagMillis()), h.clean());
        List<NetworkView> networks = networks(address, history != null && history.clean(), keys, status);
        NetworkView network = networks.isEmpty() ? null : networks.get(0);
        if (history != null && history.clean()) {
            status.add("clean history (" + history.acceptedMessages() + " accepted messages, networks."
                    + "clean-history-messages " + r.cleanHistoryMessages() + "): judged by its own score and bans "
                    + "only, not by its network's");
        }
        List<RecentDecisions.Entry> entries = recent.ofClient(address, recent.capacity());
        List<SignalView> signals = new ArrayList<>();
        for (RecentDecisions.Entry e : entries) {
            for (Finding f : e.findings()) {
                if (f.proposed() == Action.PASS && SIGNALS.contains(f.reason())) {
                    signals.add(new SignalView(f.reason(), f.check(), f.value(), age(e.atMillis()),
                            AdminViews.iso(e.atMillis()), f.detail(), f.dryRun()));
                }
            }
        }
        List<DecisionView> decisions = entries.stream().limit(EXPLAIN_DECISIONS)
                .map(e -> AdminViews.decision(e, now)).toList();
        return new ClientExplanation(Addresses.format(address), AdminViews.iso(now), status, keys, network, networks,
                history,
                store().openConnections(host), signals, decisions, recent.capacity());
    }

    /**
     * The networks of {@code address} as the score check sees them (IPv4: the /24; IPv6: each tier of
     * networks.ipv6-tiers), narrowest first, and whether each judges this client; a banned tier not among
     * {@code keys} adds a status line.
     */
    private List<NetworkView> networks(InetAddress address, boolean clean, List<KeyView> keys, List<String> status) {
        Rules r = rules();
        List<NetworkView> out = new ArrayList<>();
        for (NetworkScores.Network nw : NetworkScores.networksOf(address, r)) {
            ClientKey net = nw.key();
            NetworkTier tier = nw.tier();
            int n = NetworkScores.contributors(store(), net);
            int min = tier.minChildren();
            double cap = tier.cap();
            String why;
            if (r.exempt(address) || r.trustOk(address)) {
                why = "exempt: never judged";
            } else if (r.trusted(address)) {
                why = "networks.trusted: never deferred or rejected by scores or bans";
            } else if (clean) {
                why = "clean history: judged by its own score and bans only";
            } else if (n < min) {
                why = tier.count(n) + " of " + min + " contributing (" + tier.minKey() + "): its score does not "
                        + "count yet";
            } else {
                why = "its score counts for unauthenticated sessions (at most a defer); authenticated sessions and "
                        + "submission before AUTH are judged without it";
            }
            boolean judged = !r.exempt(address) && !r.trustOk(address) && !r.trusted(address) && !clean && n >= min;
            String cidr = net.cidr();
            BanView ban = store().activeBan(net).map(AdminViews::ban).orElse(null);
            if (ban != null && keys.stream().noneMatch(k -> k.cidr().equals(cidr))) {
                status.add("banned: " + cidr + (ban.permanent() ? " permanently" : " until " + ban.until())
                        + " (" + ban.reason() + ")");
            }
            out.add(new NetworkView(net.level().label(), cidr, store().score(net), n, min,
                    Double.isInfinite(cap) ? null : cap, n >= min, judged, why, tier.children(), tier.minKey(),
                    tier.bannable() ? tier.banMinChildren() : 0, ban));
        }
        return out;
    }

    /** Adds a line per dimension of the outbound profile {@code key} (sliding hour, threshold, baseline), if any. */
    private void outboundProfile(String key, List<String> status) {
        if (engine.outbound() != null) {
            engine.outbound().explain(key).ifPresent(p -> p.forEach((dim, v) -> status.add(String.format(
                    java.util.Locale.ROOT, "outbound %s: %.0f in the last hour, threshold %.0f, baseline %.1f per "
                            + "active hour", dim, v[0], v[1], v[2]))));
        }
    }

    /** Explains SASL user {@code user}: outbound counters against the quotas, suspension, recent decisions. */
    public UserExplanation explainUser(String user) {
        Rules r = rules();
        List<String> status = new ArrayList<>();
        if (r.allowlistedUser(user)) {
            status.add("allowlist.sasl-users: exempt from outbound quotas");
        }
        Optional<Suspensions.Suspension> s = suspensions.of("user:" + user);
        s.ifPresent(x -> status.add("suspended since " + AdminViews.iso(x.sinceMillis()) + " (" + x.reason() + "): "
                + x.detail() + "; " + x.heldMessages() + " message(s) held"));
        outboundProfile("user:" + user, status);
        boolean known = store().knownUser(user);
        List<AdminViews.QuotaLayerView> quotas = new ArrayList<>();
        for (org.postwarden.rules.UserQuotas.Layer layer : r.quotas().of(user)) {
            long[] c = store().knownUser(layer.key()) ? store().userEstimates(layer.key()) : new long[0];
            List<AdminViews.CounterView> views = new ArrayList<>();
            for (org.postwarden.rules.UserQuotas.Limit l : layer.limits()) {
                long n = l.slot() < c.length ? c[l.slot()] : 0;
                views.add(new AdminViews.CounterView(l.type().label(), Durations.format(Duration.ofSeconds(
                        l.windowSeconds())), l.windowSeconds(), n, l.max(), n > l.max()));
            }
            quotas.add(new AdminViews.QuotaLayerView(layer.name(), layer.rule(), layer.key(), views));
        }
        List<DecisionView> decisions = recent.ofUser(user, EXPLAIN_DECISIONS).stream()
                .map(e -> AdminViews.decision(e, now)).toList();
        return new UserExplanation(user, AdminViews.iso(now), status, known, quotas.get(0).counters(),
                NetworkScores.userSendingScore(store(), user), s.orElse(null), decisions, recent.capacity(),
                engine.auth().explain(user, r, store()), quotas);
    }

    private long age(long at) {
        return Math.max(0, (now - at) / 1000);
    }

    // ---- report ---------------------------------------------------------------------------------------------

    /** The live report: top {@code top} offenders per key level, per category and by message rate, and the bans. */
    public Report report(int top) {
        Rules r = rules();
        PostwardenConfig.Scoring sc = r.config().scoring();
        Map<String, List<ScoreView>> scores = new LinkedHashMap<>();
        for (KeyLevel level : KeyLevel.values()) {
            double factor = level == KeyLevel.HOST ? 1 : sc.subnetFactor();
            double threshold = (sc.thresholds().tag() > 0 ? sc.thresholds().tag() : sc.thresholds().defer()) * factor;
            scores.put(level.label(), store().topScores(level, top, 0.05).stream()
                    .map(s -> new ScoreView(s.key().cidr(), round(s.score()), threshold)).toList());
        }
        int slot = firstSlot(r.userLayout(), CounterType.MESSAGES);
        String window = slot < 0 ? null
                : Durations.format(Duration.ofSeconds(r.userLayout().slots().get(slot).windowSeconds()));
        long max = slot < 0 ? 0 : r.userLayout().slots().get(slot).max();
        List<UserRateView> users = store().topUsers(slot, top).stream()
                .map(u -> new UserRateView(u.user(), u.count(), max)).toList();
        List<RecentDecisions.Entry> entries = recent.newest(e -> true, recent.capacity());
        List<Ban> bans = store().activeBans();
        return new Report(AdminViews.iso(now), scores, window, users, categories(entries, top),
                bans.stream().limit(Math.max(top, 100)).map(AdminViews::ban).toList(), bans.size(), entries.size(),
                recent.capacity(), suspensions.list());
    }

    private static int firstSlot(CounterLayout layout, CounterType type) {
        int[] idx = layout.indicesOf(type);
        return idx.length == 0 ? -1 : idx[0];
    }

    /** Category of a finding that fired: "check" or "check:reason". */
    static String category(Finding f) {
        return f.reason().equals(f.check()) ? f.check() : f.check() + ":" + f.reason();
    }

    private List<CategoryView> categories(List<RecentDecisions.Entry> entries, int top) {
        record Tally(long[] count, RecentDecisions.Entry last) {
        }
        Map<String, Map<String, Tally>> byCategory = new HashMap<>();
        Map<String, Long> totals = new HashMap<>();
        for (RecentDecisions.Entry e : entries) {
            String who = e.client() != null ? Addresses.format(e.client())
                    : e.user().isEmpty() ? "unknown" : "user " + e.user();
            Set<String> cats = new LinkedHashSet<>();
            for (Finding f : e.findings()) {
                if (f.proposed() != Action.PASS || f.value() != 0) {
                    cats.add(category(f));
                }
            }
            for (String c : cats) {
                totals.merge(c, 1L, Long::sum);
                // entries are newest first: the first one seen per offender is its latest
                byCategory.computeIfAbsent(c, k -> new HashMap<>())
                        .computeIfAbsent(who, k -> new Tally(new long[1], e)).count()[0]++;
            }
        }
        List<CategoryView> out = new ArrayList<>();
        for (Map.Entry<String, Map<String, Tally>> c : byCategory.entrySet()) {
            List<OffenderView> offenders = c.getValue().entrySet().stream()
                    .sorted(Comparator.comparingLong((Map.Entry<String, Tally> t) -> t.getValue().count()[0])
                            .reversed().thenComparing(Map.Entry::getKey))
                    .limit(top)
                    .map(t -> new OffenderView(t.getKey(), t.getValue().count()[0],
                            t.getValue().last().action().label(), age(t.getValue().last().atMillis())))
                    .toList();
            out.add(new CategoryView(c.getKey(), totals.get(c.getKey()), offenders));
        }
        out.sort(Comparator.comparingLong(CategoryView::decisions).reversed()
                .thenComparing(CategoryView::category));
        return out;
    }

    private static double round(double d) {
        return Math.round(d * 100) / 100.0;
    }

    // ---- bans -----------------------------------------------------------------------------------------------

    /** The ban key of {@code cidr} (see {@link BanKeys#of}), with the text that an admin typed in the message. */
    public static ClientKey banKey(String cidr, int widePrefix) {
        Cidr c;
        try {
            c = Cidr.parse(cidr);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("cidr = \"" + cidr + "\": " + e.getMessage());
        }
        try {
            return BanKeys.of(c, widePrefix);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("cidr = \"" + cidr + "\": " + e.getMessage());
        }
    }

    /** Warnings about a ban on {@code key} that would not do what an admin expects (exempt or trusted networks). */
    public List<String> banWarnings(Cidr target) {
        ClientKey key = BanKeys.of(target, rules().widePrefix(), rules().tierPrefixes());
        List<String> w = new ArrayList<>();
        InetAddress a = key.address();
        if (rules().trustOk(a)) {
            w.add(Addresses.format(a) + " is in allowlist.trust-ok: answered OK before any ban is checked");
        } else if (rules().exempt(a)) {
            w.add(Addresses.format(a) + " is exempt (allowlist.clients or networks.own-addresses): the ban does not"
                    + " apply to it");
        } else if (rules().trusted(a) && key.level() == KeyLevel.HOST) {
            w.add(Addresses.format(a) + " is in networks.trusted: never refused by a ban (the ban is kept; the "
                    + "cidr map answers DUNNO for it first, the nftables sets and command leave it out)");
        }
        Cidr ours = key.level() == KeyLevel.HOST ? null : rules().protectedIn(new Cidr(key.address(), key.prefix()));
        if (ours != null) {
            w.add(key.cidr() + " holds " + ours + " (networks.trusted, networks.own-addresses or allowlist.clients): "
                    + "the ban does not apply to those hosts, but the exported cidr map holds the whole network");
        }
        return w;
    }
}
