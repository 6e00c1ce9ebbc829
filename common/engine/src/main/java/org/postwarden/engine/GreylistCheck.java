package org.postwarden.engine;

import org.postwarden.config.PostwardenConfig;
import org.postwarden.dnsbl.SenderPools;
import org.postwarden.dnsbl.SpfPolicy;
import org.postwarden.metrics.PostwardenMetrics;
import org.postwarden.model.Cidr;
import org.postwarden.model.ClientKey;
import org.postwarden.model.KeyLevel;
import org.postwarden.model.MailEvent;
import org.postwarden.model.SmtpStage;
import org.postwarden.reputation.ReputationStore;
import org.postwarden.reputation.StateTable;
import org.postwarden.rules.GreylistRules;
import org.postwarden.rules.Rules;
import org.postwarden.verdict.Action;
import org.postwarden.verdict.Finding;

import java.net.InetAddress;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Selective greylisting at RCPT ({@code greylist:}). A doubtful client's first attempt of a triplet (client network:
 * IPv4 /24, IPv6 /64; envelope sender; recipient) is deferred with a text naming the retry time; a retry before
 * {@code delay} is deferred again; one after it (and within {@code retry-window}, else the triplet starts over)
 * passes, and so does the triplet from then on; a network whose retries passed {@code auto-allowlist-after} times is
 * not greylisted any more. What is kept: {@link GreylistState}.
 *
 * <p>Doubtful (any one): the host's score plus this decision's DNS list weights at or above {@code min-score}; a
 * listing in a zone entry marked {@code grey}; no verified reverse name (Postfix's {@code client_name} is
 * {@code unknown}); a generic-looking HELO. Never greylisted: authenticated sessions, {@code networks.trusted} (and the
 * exempt {@code allowlist.clients} and {@code networks.own-addresses}, which never reach the checks), DNSWL-listed
 * clients, hosts with a clean history ({@link ClientHistory}), recipients outside {@code networks.local-domains},
 * and a RCPT another check already refuses.
 *
 * <p>Sender pools: when the (sender, recipient) pair has an attempt from another network, a retry counts as that
 * attempt's retry if both addresses are in one pool: one of {@code greylist.pools.networks}, the same registered
 * domain of forward-confirmed PTR names, or both passing the sender domain's SPF record. The DNS lookups start in
 * {@link #prepare} ({@link SenderPools}), bounded by {@code greylist.pools.timeout}; past it the request is not
 * greylisted (fail open). Runs after the score check, so it sees this decision's weights and findings.
 */
public final class GreylistCheck implements Check {
    /** The reason label of a greylisting deferral (metrics, and the engine's {@code DEFER_IF_PERMIT} mapping). */
    public static final String REASON = "greylisted";

    /** What {@link #prepare} found when no pool holds this client and an earlier one. */
    enum Lookup { NO_MATCH, TIMEOUT }

    /** An earlier attempt's client in one pool with this client. */
    record PoolMatch(InetAddress client, String via, String detail) {
    }

    private enum Outcome { GREYLISTED, EARLY, PASSED, KNOWN, TIMEOUT }

    /** What one step of the triplet's state machine decided. */
    private record Step(Outcome outcome, long retryAtMillis, String via, String poolDetail) {
    }

    private final SenderPools pools;
    private final PostwardenMetrics metrics;

    /** {@code pools}: the DNS side of the sender pools, or null for configured networks only. */
    public GreylistCheck(SenderPools pools, PostwardenMetrics metrics) {
        this.pools = pools;
        this.metrics = metrics;
    }

    @Override
    public String name() {
        return "greylist";
    }

    /**
     * True when a store kept for {@code current} cannot hold the greylist tables of {@code next}
     * ({@code greylist.max-entries} or {@code max-age} changed): a reload then moves the state to a new store.
     */
    public static boolean needsNewStore(PostwardenConfig.Greylist current, PostwardenConfig.Greylist next) {
        return GreylistState.needsNewStore(current, next);
    }

    /** The DNS side of the sender pools this check asks, or null. */
    public SenderPools pools() {
        return pools;
    }

    /** Whether {@code e} is an event greylisting may apply to at all (not yet whether its client is doubtful). */
    static boolean applies(MailEvent e, Rules rules) {
        return rules.greylist() != null && e.stage() == SmtpStage.RCPT && e.client() != null && !e.recipient().isEmpty()
                && !e.authenticated() && !rules.trusted(e.client()) && rules.localDomain(e.recipientDomain());
    }

    @Override
    public CompletionStage<?> prepare(MailEvent event, Rules rules, ReputationStore store) {
        GreylistRules g = rules.greylist();
        if (pools == null || !applies(event, rules) || !g.dnsPools()) {
            return null;
        }
        int wide = rules.widePrefix();
        PostwardenConfig.Greylist gc = rules.config().greylist();
        ClientKey subnet = ClientKey.of(event.client(), KeyLevel.SUBNET, wide);
        if (autoAllowlisted(store, gc, g, subnet)
                || ClientHistory.clean(store, ClientKey.of(event.client(), KeyLevel.HOST, wide), rules)) {
            return null;
        }
        GreylistState.Pair pair = store.table(GreylistState.pairs(gc))
                .get(GreylistState.pairKey(event.sender(), event.recipient()));
        if (pair == null) {
            return null;
        }
        long now = store.time().millis();
        List<InetAddress> candidates = new ArrayList<>();
        synchronized (pair) {
            if (pair.of(subnet, wide) != null) {
                return null;
            }
            for (GreylistState.Attempt a : pair.attempts) {
                if (now - a.last > g.maxAge().toMillis()) {
                    continue;
                }
                if (g.poolNetwork(a.client, event.client()) != null) {
                    return null;
                }
                candidates.add(a.client);
            }
        }
        return candidates.isEmpty() ? null : pools.withinBudget(match(event, g, candidates), Lookup.TIMEOUT);
    }

    /** The first of {@code candidates} in one DNS pool with the event's client (SPF first, then PTR), or NO_MATCH. */
    private CompletableFuture<Object> match(MailEvent event, GreylistRules g, List<InetAddress> candidates) {
        String domain = event.senderDomain();
        CompletableFuture<SpfPolicy> spf = g.spfPools() && !domain.isEmpty() ? pools.spf(domain) : null;
        CompletableFuture<Optional<String>> mine = g.ptrPools() ? pools.ptrDomain(event.client()) : null;
        List<CompletableFuture<Optional<String>>> theirs = new ArrayList<>();
        List<CompletableFuture<?>> all = new ArrayList<>();
        if (spf != null) {
            all.add(spf);
        }
        if (mine != null) {
            all.add(mine);
            for (InetAddress c : candidates) {
                CompletableFuture<Optional<String>> f = pools.ptrDomain(c);
                theirs.add(f);
                all.add(f);
            }
        }
        return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).thenApply(v -> {
            for (int i = 0; i < candidates.size(); i++) {
                InetAddress c = candidates.get(i);
                if (spf != null && spf.join().passes(event.client()) && spf.join().passes(c)) {
                    return new PoolMatch(c, "spf", "both pass the SPF record of " + domain);
                }
                if (mine != null) {
                    Optional<String> m = mine.join();
                    if (m.isPresent() && m.equals(theirs.get(i).join())) {
                        return new PoolMatch(c, "ptr", "both have forward-confirmed PTR names in " + m.get());
                    }
                }
            }
            return Lookup.NO_MATCH;
        });
    }

    private static boolean autoAllowlisted(ReputationStore store, PostwardenConfig.Greylist gc, GreylistRules g,
            ClientKey subnet) {
        if (g.autoAllowlistAfter() <= 0) {
            return false;
        }
        GreylistState.Network n = store.table(GreylistState.networks(gc)).get(subnet.cidr());
        return n != null && n.passes() >= g.autoAllowlistAfter();
    }

    @Override
    public void evaluate(EvaluationContext ctx) {
        MailEvent e = ctx.event();
        Rules rules = ctx.rules();
        if (!applies(e, rules) || ctx.host() == null || refused(ctx)) {
            return;
        }
        GreylistRules g = rules.greylist();
        String doubt = doubt(ctx, g, false);
        boolean dryRunOnly = false;
        if (doubt == null) {
            doubt = doubt(ctx, g, true);
            dryRunOnly = true;
            if (doubt == null) {
                return;
            }
        }
        ReputationStore store = ctx.store();
        PostwardenConfig.Greylist gc = rules.config().greylist();
        if (ctx.dnswlListed()) {
            ctx.note("greylist-exempt", "not greylisted (" + doubt + "): listed in a DNSWL zone");
            return;
        }
        if (autoAllowlisted(store, gc, g, ctx.subnet())) {
            count(ctx, "auto-allowlisted");
            ctx.note("greylist-exempt", "not greylisted (" + doubt + "): network " + ctx.subnet().cidr()
                    + " is auto-allowlisted (" + g.autoAllowlistAfter() + " passed retries)");
            return;
        }
        if (ClientHistory.clean(store, ctx.host(), rules)) {
            ctx.note("greylist-exempt", "not greylisted (" + doubt + "): host " + ctx.host().cidr()
                    + " has a clean history");
            return;
        }
        long now = store.time().millis();
        StateTable<GreylistState.Pair> pairs = store.table(GreylistState.pairs(gc));
        GreylistState.Pair pair = pairs.getOrCreate(GreylistState.pairKey(e.sender(), e.recipient()),
                k -> new GreylistState.Pair());
        Step s;
        synchronized (pair) {
            pair.forgetOlderThan(now, g.maxAge().toMillis());
            s = step(pair, ctx, g, ctx.prepared(this), now);
        }
        report(ctx, g, s, doubt, dryRunOnly, now);
    }

    /** Why the client is doubtful, or null; {@code includeDryRun}: counting what dry-run checks found. */
    private static String doubt(EvaluationContext ctx, GreylistRules g, boolean includeDryRun) {
        MailEvent e = ctx.event();
        double score = ctx.store().score(ctx.host()) + ctx.decisionWeight(includeDryRun);
        if (g.minScore() > 0 && score >= g.minScore()) {
            return "score " + ScoreCheck.fmt(score) + " >= greylist.min-score " + ScoreCheck.fmt(g.minScore());
        }
        String zone = ctx.greyZone(includeDryRun);
        if (zone != null) {
            return "listed in grey zone " + zone;
        }
        if (includeDryRun) {
            return null;
        }
        if (g.noReverseName() && e.clientName().equalsIgnoreCase("unknown")) {
            return "no verified reverse name";
        }
        return g.genericHelo() ? HeloCheck.genericLooking(ctx.rules(), e.heloName()) : null;
    }

    /** Whether a check before this one already refuses the RCPT (enforced, not dry-run). */
    private static boolean refused(EvaluationContext ctx) {
        for (Finding f : ctx.findings()) {
            if (!f.dryRun() && f.proposed().atLeast(Action.DEFER)) {
                return true;
            }
        }
        return false;
    }

    /** The triplet's state machine; runs under the pair's lock. */
    private static Step step(GreylistState.Pair pair, EvaluationContext ctx, GreylistRules g, Object lookup,
            long now) {
        InetAddress client = ctx.event().client();
        GreylistState.Attempt own = pair.of(ctx.subnet(), ctx.rules().widePrefix());
        GreylistState.Attempt base = own;
        String via = null;
        String detail = null;
        if (own == null) {
            for (GreylistState.Attempt a : pair.attempts) {
                Cidr c = g.poolNetwork(a.client, client);
                if (c != null) {
                    base = a;
                    via = "cidr";
                    detail = "both in greylist.pools.networks " + c;
                    break;
                }
            }
            if (base == null && lookup instanceof PoolMatch m) {
                base = pair.byClient(m.client());
                via = base == null ? null : m.via();
                detail = base == null ? null : m.detail();
            }
            if (base == null && lookup == Lookup.TIMEOUT) {
                return new Step(Outcome.TIMEOUT, 0, null, null);
            }
        }
        if (base == null) {
            pair.add(client, now, now);
            return new Step(Outcome.GREYLISTED, now + g.delay().toMillis(), null, null);
        }
        base.last = now;
        if (base.passed > 0) {
            if (own == null) {
                pair.add(client, base.first, now).passed = now;
            }
            return new Step(Outcome.KNOWN, 0, via, detail);
        }
        long age = now - base.first;
        if (age > g.retryWindow().toMillis()) {
            if (own == null) {
                pair.add(client, now, now);
            } else {
                own.first = now;
            }
            return new Step(Outcome.GREYLISTED, now + g.delay().toMillis(), null, null);
        }
        if (age < g.delay().toMillis()) {
            return new Step(Outcome.EARLY, base.first + g.delay().toMillis(), via, detail);
        }
        base.passed = now;
        if (own == null) {
            pair.add(client, base.first, now).passed = now;
        }
        return new Step(Outcome.PASSED, 0, via, detail);
    }

    private void report(EvaluationContext ctx, GreylistRules g, Step s, String doubt, boolean dryRunOnly, long now) {
        String net = ctx.subnet().cidr();
        if (s.via() != null && s.outcome() != Outcome.TIMEOUT && !ctx.repeat()) {
            metrics.greylistPoolMatch(s.via());
        }
        String pool = s.via() == null ? "" : " (retry of another address of its sender pool: " + s.poolDetail() + ")";
        switch (s.outcome()) {
            case TIMEOUT -> {
                count(ctx, "lookup-timeout");
                ctx.note("greylist-timeout", "not greylisted (" + doubt + "): sender-pool lookups took longer than "
                        + "greylist.pools.timeout (" + ctx.rules().config().greylist().pools().timeout().toMillis()
                        + "ms)");
            }
            case KNOWN -> {
                count(ctx, "known");
                ctx.note("greylist-known", "triplet of " + net + " passed greylisting before" + pool);
            }
            case PASSED -> {
                count(ctx, "passed");
                ctx.note("greylist-passed", "retry from " + net + " after the greylisting delay: passed" + pool);
                GreylistState.Network n = ctx.store().table(GreylistState.networks(ctx.rules().config().greylist()))
                        .getOrCreate(net, k -> new GreylistState.Network());
                int passes = n.pass();
                if (g.autoAllowlistAfter() > 0 && passes == g.autoAllowlistAfter()) {
                    if (!ctx.repeat()) {
                        metrics.greylistAutoAllowlisted();
                    }
                    ctx.note("greylist-auto-allowlisted", "network " + net + " auto-allowlisted after " + passes
                            + " passed retries");
                }
            }
            case GREYLISTED, EARLY -> {
                count(ctx, s.outcome() == Outcome.EARLY ? "early" : "greylisted");
                long wait = Math.max(1, (s.retryAtMillis() - now + 999) / 1000);
                String text = REASON + ", try again in " + wait + " seconds (after "
                        + Instant.ofEpochMilli(s.retryAtMillis()).truncatedTo(ChronoUnit.SECONDS) + ")";
                ctx.note("greylist-doubtful", "greylisting " + net + ": " + doubt + pool);
                double waited = (now - (s.retryAtMillis() - g.delay().toMillis())) / 1000.0;
                if (dryRunOnly) {
                    ctx.findDryRun(REASON, Action.DEFER, waited, g.delay().toSeconds(), text);
                } else {
                    ctx.find(REASON, Action.DEFER, waited, g.delay().toSeconds(), text);
                }
            }
        }
    }

    private void count(EvaluationContext ctx, String result) {
        if (!ctx.repeat()) {
            metrics.greylist(result);
        }
    }
}
