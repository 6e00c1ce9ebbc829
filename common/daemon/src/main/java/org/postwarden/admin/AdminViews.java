package org.postwarden.admin;

import org.postwarden.api.Suspensions;
import org.postwarden.config.Durations;
import org.postwarden.engine.RecentDecisions;
import org.postwarden.model.Addresses;
import org.postwarden.reputation.Ban;
import org.postwarden.reputation.CounterLayout;
import org.postwarden.verdict.Finding;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The records the admin API answers with (field names are the JSON names). */
public final class AdminViews {
    private AdminViews() {
    }

    /** One sliding-window counter with its limit. */
    public record CounterView(String type, String window, long windowSeconds, long count, long max,
            boolean exceeded) {
    }

    /** An active ban. {@code until} is null for a permanent ban. */
    public record BanView(String cidr, String level, String reason, String detail, String since, String until,
            boolean permanent, int offense) {
    }

    /** One key level of a client: its score with the thresholds that apply at that level, counters and ban. */
    public record KeyView(String level, String cidr, boolean known, double score, Map<String, Double> thresholds,
            List<CounterView> counters, BanView ban, int earlierBans) {
    }

    /** A signal recorded for a client (from the recent decisions), with its age. */
    public record SignalView(String signal, String check, double weight, long ageSeconds, String at, String detail,
            boolean dryRun) {
    }

    /** One finding of a decision: the check that fired, the value measured against the threshold. */
    public record FindingView(String check, String reason, String proposed, double value, double threshold,
            String detail, boolean dryRun) {
    }

    /** One recent decision. */
    public record DecisionView(String at, long ageSeconds, String source, String stage, String client, String user,
            String helo, String sender, String recipient, String action, String wouldHave, String reason,
            List<FindingView> findings) {
    }

    /**
     * One network of the client (IPv4 /24; IPv6 a tier of {@code networks.ipv6-tiers}) as the score check sees it:
     * its score (the sum of its members' capped shares), how many distinct children ({@code children}: hosts, /64s,
     * /56s...) contributed, how many it needs before it counts ({@code minContributors}, set by {@code minKey}), the
     * most one child adds ({@code contributionCap}, null: no cap), whether it counts, whether this client is judged
     * by it at all ({@code judged}, with {@code why}), the contributors a ban of it needs ({@code banMinContributors},
     * 0: never banned) and its active ban (null: none).
     */
    public record NetworkView(String level, String cidr, double score, int contributors, int minContributors,
            Double contributionCap, boolean counts, boolean judged, String why, String children, String minKey,
            int banMinContributors, BanView ban) {
    }

    /**
     * The history of the client's host (IPv4 /32, IPv6 /64): messages accepted, how many make a clean history
     * ({@code networks.clean-history-messages}, 0: off), when its own score was last at the tag threshold (null:
     * never), and whether it is clean now.
     */
    public record HostHistoryView(String host, int acceptedMessages, int needed, String lastOwnScoreAtTag,
            boolean clean) {
    }

    /**
     * {@code explain <ip>}. {@code network} is the narrowest of {@code networks} (the IPv4 /24, the first IPv6 tier;
     * null for IPv6 without tiers); {@code history} is null when nothing is known of the host.
     */
    public record ClientExplanation(String ip, String at, List<String> status, List<KeyView> keys,
            NetworkView network, List<NetworkView> networks, HostHistoryView history, int openConnections, List<SignalView> signals,
            List<DecisionView> decisions, int historyCapacity) {
    }

    /**
     * {@code explain <user>}. {@code suspension} is null when the user is not suspended; {@code sendingScore} is the
     * decayed score of the user's own signals (quota overruns), which never go to its addresses.
     */
    public record UserExplanation(String user, String at, List<String> status, boolean known,
            List<CounterView> counters, double sendingScore, Suspensions.Suspension suspension,
            List<DecisionView> decisions, int historyCapacity, org.postwarden.engine.AuthLogins.UserLogins logins,
            List<QuotaLayerView> quotas) {
    }

    /**
     * One outbound quota layer that applies to a SASL user: {@code layer} is {@code user}, {@code domain},
     * {@code sasl-user} or {@code pool}; {@code rule} the configuration key; {@code counted} the store key its counts
     * are under (the user, or {@code @domain} for the pool).
     */
    public record QuotaLayerView(String layer, String rule, String counted, List<CounterView> counters) {
    }

    /** A client key and its score, for the report. */
    public record ScoreView(String cidr, double score, double threshold) {
    }

    /** A user and a counter, for the report. */
    public record UserRateView(String user, long messages, long max) {
    }

    /** An offender within a category of the report. */
    public record OffenderView(String client, long decisions, String lastAction, long lastAgeSeconds) {
    }

    /** A category (the check and reason that fired) with its top offenders among the recent decisions. */
    public record CategoryView(String category, long decisions, List<OffenderView> top) {
    }

    /** {@code report}: top offenders, live. */
    public record Report(String at, Map<String, List<ScoreView>> topScores, String userWindow,
            List<UserRateView> topUsers, List<CategoryView> categories, List<BanView> bans, int bansTotal,
            long decisionsConsidered, int historyCapacity, List<Suspensions.Suspension> suspended) {
    }

    // ---- conversions ------------------------------------------------------------------------------------

    static String iso(long millis) {
        return Instant.ofEpochMilli(millis).toString();
    }

    /** The view of ban {@code b}. */
    public static BanView ban(Ban b) {
        return new BanView(b.key().cidr(), b.key().level().label(), b.reason(), b.detail(), iso(b.sinceMillis()),
                b.permanent() ? null : iso(b.untilMillis()), b.permanent(), b.offense());
    }

    static List<CounterView> counters(CounterLayout layout, long[] counts) {
        List<CounterView> out = new ArrayList<>(layout.size());
        for (int i = 0; i < layout.size(); i++) {
            CounterLayout.Slot s = layout.slots().get(i);
            long c = i < counts.length ? counts[i] : 0;
            out.add(new CounterView(s.type().label(), Durations.format(Duration.ofSeconds(s.windowSeconds())),
                    s.windowSeconds(), c, s.max(), c > s.max()));
        }
        return out;
    }

    static FindingView finding(Finding f) {
        return new FindingView(f.check(), f.reason(), f.proposed().label(), f.value(), f.threshold(), f.detail(),
                f.dryRun());
    }

    static DecisionView decision(RecentDecisions.Entry e, long now) {
        return new DecisionView(iso(e.atMillis()), Math.max(0, (now - e.atMillis()) / 1000), e.source(),
                e.stage().label(), e.client() == null ? null : Addresses.format(e.client()), e.user(), e.helo(),
                e.sender(), e.recipient(), e.action().label(), e.wouldHave().label(), e.reason(),
                e.findings().stream().map(AdminViews::finding).toList());
    }
}
