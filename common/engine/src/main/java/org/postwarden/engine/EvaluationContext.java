package org.postwarden.engine;

import org.postwarden.model.ClientKey;
import org.postwarden.model.KeyLevel;
import org.postwarden.model.MailEvent;
import org.postwarden.model.Signal;
import org.postwarden.model.SmtpStage;
import org.postwarden.reputation.ReputationStore;
import org.postwarden.rules.Rules;
import org.postwarden.verdict.Action;
import org.postwarden.verdict.Finding;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Everything a check needs for one event: the event, its client keys, the store, the rules, and where to put
 * findings and signals. One per decision; not thread-safe (a decision runs on one thread).
 */
public final class EvaluationContext {
    private final MailEvent event;
    private final Rules rules;
    private final ReputationStore store;
    private final ClientKey host;
    private final ClientKey subnet;
    private final ClientKey wide;
    private final List<ClientKey> keys;
    private final List<ClientKey> ownKeys;
    private final NetworkScores.Levels levels;
    private final boolean trusted;
    private final boolean submissionBeforeAuth;
    /** 0: not looked up yet, 1: clean, -1: not clean. */
    private int clean;
    private final List<Finding> findings = new ArrayList<>();
    private final Consumer<Signal> signalSink;
    private final java.util.Map<Check, Object> prepared = new java.util.IdentityHashMap<>();
    private String check = "";
    private boolean dryRun;
    private double decisionWeight;
    private double decisionWeightDryRun;
    private List<String> decisionSources;
    private boolean repeat;
    private boolean recipientsCountedAtEnd;
    private boolean newMessage;
    private boolean newContent;
    private org.postwarden.outbound.OutboundGuard outbound;
    private boolean dnswlListed;
    private String greyZone;
    private String greyZoneDryRun;

    EvaluationContext(MailEvent event, Rules rules, ReputationStore store, Consumer<Signal> signalSink) {
        this.event = event;
        this.rules = rules;
        this.store = store;
        this.signalSink = signalSink;
        if (event.client() != null) {
            this.host = ClientKey.of(event.client(), KeyLevel.HOST, rules.widePrefix());
            this.subnet = ClientKey.of(event.client(), KeyLevel.SUBNET, rules.widePrefix());
            this.wide = host.v6() ? ClientKey.of(event.client(), KeyLevel.WIDE, rules.widePrefix()) : null;
            this.keys = wide == null ? List.of(host, subnet) : List.of(host, subnet, wide);
            this.ownKeys = wide == null ? List.of(host) : List.of(host, subnet);
            this.levels = NetworkScores.levels(event.client(), rules);
            this.trusted = rules.trusted(event.client());
        } else {
            this.host = null;
            this.subnet = null;
            this.wide = null;
            this.keys = List.of();
            this.ownKeys = List.of();
            this.levels = null;
            this.trusted = false;
        }
        this.submissionBeforeAuth = !event.authenticated()
                && (event.stage() == SmtpStage.CONNECT || event.stage() == SmtpStage.HELO) && rules.submission(event);
    }

    /** The client is in {@code networks.trusted}: never deferred or rejected by scores, network scores or bans. */
    public boolean trusted() {
        return trusted;
    }

    /**
     * This event is a submission service's connect or HELO, before AUTH ({@code networks.submission-ports} or daemon
     * name {@code ORIGINATING}): only a ban of that very host refuses it.
     */
    public boolean submissionBeforeAuth() {
        return submissionBeforeAuth;
    }

    /**
     * Whether the client host (IPv4 /32, IPv6 /64) has a clean history ({@code networks.clean-history-messages}): it
     * is then judged by its own score and bans only. Looked up once per decision, when first asked.
     */
    public boolean cleanHistory() {
        if (clean == 0) {
            clean = levels != null && NetworkScores.clean(store, rules, levels.member()) ? 1 : -1;
        }
        return clean > 0;
    }

    /**
     * Whether the client is judged at the network level (its network's score and bans) at all: not when it is
     * authenticated (judged by the user's own sending), on a submission service before AUTH, or trusted. A clean
     * history ({@link #cleanHistory()}) is asked for separately, only when the network level would matter.
     */
    public boolean networkJudged() {
        return !trusted && !event.authenticated() && !submissionBeforeAuth;
    }

    /** The client's own key levels: the IPv4 /32; the IPv6 /128 and /64 (a /64 is one site, as for bans). */
    public List<ClientKey> ownKeys() {
        return ownKeys;
    }

    /**
     * The client's narrowest network key: the IPv4 /24, the first tier of {@code networks.ipv6-tiers}; null without
     * a client address or for IPv6 without tiers.
     */
    public ClientKey network() {
        return levels == null ? null : levels.network();
    }

    /** The client's network keys, narrowest first (IPv4: the /24; IPv6: each tier), aligned with {@link #tiers()}. */
    public List<ClientKey> networks() {
        return levels == null ? List.of() : levels.networks();
    }

    /** The tiers of {@link #networks()}. */
    public List<org.postwarden.rules.NetworkTier> tiers() {
        return levels == null ? List.of() : levels.tiers();
    }

    /**
     * The network keys whose ban refuses a client judged at the network level: {@link #networks()}, and for IPv6
     * also the {@code store.ipv6-wide-prefix} key (admin bans at that level) when it is not one of the tiers.
     */
    public List<ClientKey> banNetworks() {
        if (wide == null || levels.networks().contains(wide)) {
            return networks();
        }
        List<ClientKey> all = new ArrayList<>(levels.networks());
        all.add(wide);
        return all;
    }

    NetworkScores.Levels levels() {
        return levels;
    }

    void recipientsCountedAtEnd(boolean value) {
        this.recipientsCountedAtEnd = value;
    }

    /** True when this END-OF-MESSAGE event counted the message's recipients (no RCPT of it was reported). */
    public boolean recipientsCountedAtEnd() {
        return recipientsCountedAtEnd;
    }

    void newMessage(boolean value) {
        this.newMessage = value;
    }

    /** True when this DATA or END-OF-MESSAGE event is the first report of its message (it was counted). */
    public boolean newMessage() {
        return newMessage;
    }

    void newContent(boolean value) {
        this.newContent = value;
    }

    /**
     * True when this END-OF-MESSAGE event is the first report of its message's content fingerprint (the milter may
     * also have reported DATA, so this differs from {@link #newMessage()}).
     */
    public boolean newContent() {
        return newContent;
    }

    void outbound(org.postwarden.outbound.OutboundGuard guard) {
        this.outbound = guard;
    }

    /** The outbound guard of the engine, or null when it has none. */
    public org.postwarden.outbound.OutboundGuard outbound() {
        return outbound;
    }

    /** True when the check being evaluated runs in dry-run (globally or by its own switch). */
    public boolean dryRun() {
        return dryRun;
    }

    void repeat(boolean value) {
        this.repeat = value;
    }

    /**
     * True when this event reports something another listener has already reported (the milter's RCPT after the
     * policy server's, or the other way round): it was not counted again, and checks should not add signals again.
     */
    public boolean repeat() {
        return repeat;
    }

    void enter(String checkName, boolean checkDryRun) {
        this.check = checkName;
        this.dryRun = checkDryRun;
    }

    void prepared(Check c, Object value) {
        prepared.put(c, value);
    }

    /** The value of {@code c}'s {@link Check#prepare} stage, or null when it prepared nothing. */
    public Object prepared(Check c) {
        return prepared.get(c);
    }

    public MailEvent event() {
        return event;
    }

    public Rules rules() {
        return rules;
    }

    public ReputationStore store() {
        return store;
    }

    /** Host key (/32 or /128), or null when the client address is unknown. */
    public ClientKey host() {
        return host;
    }

    /** Subnet key (/24 or /64), or null. */
    public ClientKey subnet() {
        return subnet;
    }

    /** Wide IPv6 key, or null (IPv4 or unknown). */
    public ClientKey wide() {
        return wide;
    }

    /** The client keys that exist for this event, narrowest first. */
    public List<ClientKey> keys() {
        return keys;
    }

    /** Adds a finding from the current check. */
    public void find(String reason, Action proposed, double value, double threshold, String detail) {
        findings.add(new Finding(check, reason, proposed, value, threshold, detail, dryRun));
    }

    /**
     * Records a signal: its configured weight is added to the client's own scores and, capped, to its network's
     * ({@link NetworkScores}); in an authenticated session the signal is the user's (e.g. a quota overrun) and scores
     * the user's sending, never the address. A finding (proposing nothing by itself) is kept for explanation.
     * Signals are facts: they are recorded in dry-run too.
     */
    public void signal(Signal signal, String detail) {
        double w = rules.weight(signal);
        signalSink.accept(signal);
        if (w != 0) {
            if (event.authenticated()) {
                NetworkScores.addUserSending(store, event.saslUsername(), w);
            } else if (levels != null) {
                NetworkScores.add(store, rules, levels, w);
            }
        }
        findings.add(new Finding(check, signal.label(), Action.PASS, w, 0,
                event.authenticated() ? detail + " (scores the user, not the address)" : detail, dryRun));
    }

    /**
     * Adds {@code weight} to this decision's score only, never to the stored scores: for DNSBL/DNSWL listings, which
     * are states looked up (cached) on every request rather than events, so they must neither pile up per connection
     * nor outlive a delisting. The score check adds the sum at every key level when comparing with the thresholds;
     * weights from a dry-run check count only for "would have". A finding (proposing nothing) keeps the detail.
     *
     * @param source      short name for the reply text (e.g. the zone), or null
     * @param countSignal whether to count the signal in metrics (once per connection is the caller's choice)
     */
    public void weigh(Signal signal, double weight, String source, String detail, boolean countSignal) {
        if (countSignal) {
            signalSink.accept(signal);
        }
        if (dryRun) {
            decisionWeightDryRun += weight;
        } else {
            decisionWeight += weight;
        }
        if (source != null && weight > 0) {
            if (decisionSources == null) {
                decisionSources = new ArrayList<>(2);
            }
            if (!decisionSources.contains(source)) {
                decisionSources.add(source);
            }
        }
        findings.add(new Finding(check, signal.label(), Action.PASS, weight, 0, detail, dryRun));
    }

    /**
     * Notes that the client (or its HELO name, or its sender domain) is listed in {@code zone}'s entry: an allowlist
     * entry makes it DNSWL-listed, a {@code grey} entry doubtful for greylisting (in dry-run only if the current check
     * is in dry-run).
     */
    void listedIn(org.postwarden.dnsbl.zone.DnsblZone zone) {
        if (zone.allowlist()) {
            dnswlListed = true;
        }
        if (zone.grey()) {
            if (dryRun) {
                greyZoneDryRun = greyZoneDryRun == null ? zone.domain() : greyZoneDryRun;
            } else {
                greyZone = greyZone == null ? zone.domain() : greyZone;
            }
        }
    }

    /** Whether a DNSWL entry (negative weight) lists the client, its HELO or its sender domain in this decision. */
    public boolean dnswlListed() {
        return dnswlListed;
    }

    /**
     * The first zone with a matching {@code grey} entry in this decision, from an enforcing DNSBL check, or, if
     * {@code includeDryRun}, from a dry-run one; null when none.
     */
    public String greyZone(boolean includeDryRun) {
        return greyZone != null || !includeDryRun ? greyZone : greyZoneDryRun;
    }

    /** The sum of {@link #weigh} weights of enforcing checks, plus those of dry-run checks if asked. */
    public double decisionWeight(boolean includeDryRun) {
        return includeDryRun ? decisionWeight + decisionWeightDryRun : decisionWeight;
    }

    /** Sources of positive {@link #weigh} weights (e.g. DNSBL zones), in order, for reply texts. */
    public List<String> decisionSources() {
        return decisionSources == null ? List.of() : decisionSources;
    }

    /** Adds a finding that proposes nothing, for explanations (e.g. a DNSBL zone that did not answer). */
    public void note(String reason, String detail) {
        findings.add(new Finding(check, reason, Action.PASS, 0, 0, detail, dryRun));
    }

    /** Adds a finding from the current check that only counts as "would have" (dry-run), whatever the check's mode. */
    void findDryRun(String reason, Action proposed, double value, double threshold, String detail) {
        findings.add(new Finding(check, reason, proposed, value, threshold, detail, true));
    }

    public List<Finding> findings() {
        return findings;
    }
}
