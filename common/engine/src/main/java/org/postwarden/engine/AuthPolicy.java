package org.postwarden.engine;

import org.postwarden.model.Addresses;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.micrometer.core.instrument.Counter;
import org.postwarden.api.AuthAttempt;
import org.postwarden.api.AuthVerdict;
import org.postwarden.api.AuthVerdict.Reason;
import org.postwarden.api.LogSignal;
import org.postwarden.config.Durations;
import org.postwarden.config.PostwardenConfig;
import org.postwarden.metrics.PostwardenMetrics;
import org.postwarden.model.Cidr;
import org.postwarden.model.ClientKey;
import org.postwarden.model.Signal;
import org.postwarden.outbound.Alert;
import org.postwarden.outbound.AlertSink;
import org.postwarden.reputation.Ban;
import org.postwarden.reputation.ReputationStore;
import org.postwarden.rules.Rules;
import org.postwarden.text.LogSafe;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Dovecot's authentication policy on the shared store: the engine's side of {@code auth-policy:}.
 *
 * <p>Before the password check ({@code command=allow}) an address is refused when it is banned (any level; a
 * network ban not for a user's known device), banned permanently ({@code bans.permanent}), its own score is at
 * {@code scoring.thresholds.reject} (the /64 at that times {@code scoring.subnet-factor}), it had
 * {@code auth-policy.refuse.distinct-passwords} distinct wrong passwords in {@code refuse.window}, or its network
 * is spraying (below). It is delayed (tarpit) from {@code tarpit.after-failures} distinct failures in
 * {@code tarpit.window}: {@code initial-delay}, doubling per further failure, at most {@code max-delay}; also, at
 * {@code max-delay}, when its network's crowd score is at {@code scoring.thresholds.defer} (a network without a ban
 * is never refused, as on the SMTP side). Never refused or delayed: {@code networks.trusted}, own and allowlisted
 * addresses and {@code auth-policy.proxies}. A user's <em>known device</em> (a successful login of that user from
 * that address, IPv6 /64, within {@code auth-policy.known-device}) is never delayed and is refused only by a ban of
 * its own address, its score, or the distinct-password count.
 *
 * <p>A failed report ({@code command=report}, {@code success=false}, not refused by this policy) is one pair
 * (user, password hash) of its address: a pair seen again within {@code refuse.window} is a <em>stale password</em>
 * (a phone retrying an old password): counted once, never scored again, logged once per window, counted in a metric,
 * shown by {@code ctl explain USER} and optionally alerted. A new pair scores like the Dovecot log line
 * ({@link Signal#AUTH_FAILURE} through the {@link SignalRecorder}: the address, its network with the crowd rule, the
 * user's own score for alerts, bans) — except for a known device below the refusal count and for our own and proxy
 * addresses, whose failures count against the user only. Each reported failure leaves a credit that the same
 * failure read later from Dovecot's log consumes ({@link #consumeReported}), so it is counted once.
 *
 * <p>Spraying: the distinct failed users of a network (IPv4 /24, IPv6 wide prefix) in {@code spraying.window}, each
 * member (IPv4 address, IPv6 /64) adding at most {@code network-users / scoring.subnet-min-hosts} of them, from at
 * least {@code subnet-min-hosts} members: at {@code spraying.network-users} the network is refused and an alert
 * ({@code auth-spraying}) is raised once per window; the distinct failed users of the whole site at
 * {@code spraying.total-users} raise one too.
 *
 * <p>State lives in store tables ({@link AuthState}; bounded, persisted by the snapshot, kept across reloads): per
 * address the pairs, per user the failures, known devices, per network and overall the failed users, alert times and
 * the credits. Thread-safe: the values guard themselves; nothing blocks. Known limits: IPv6 addresses are judged per
 * /64 (one site); a credit left by a report is consumed by the first log line of that (address, user) within 10
 * minutes, so a failure logged but never reported (another Dovecot without the policy) in that time may go
 * uncounted.
 */
public final class AuthPolicy {
    private static final Logger LOG = LoggerFactory.getLogger("org.postwarden.auth");
    private final SignalRecorder signals;
    private final PostwardenMetrics metrics;
    private final AlertSink alerts;
    /** Addresses and reasons logged within the last minute (a refusal is logged once a minute, not per attempt). */
    private final Cache<String, Boolean> logged;
    /** Numbers failures reported without a password hash: each is a distinct one. */
    private final java.util.concurrent.atomic.AtomicLong unhashed = new java.util.concurrent.atomic.AtomicLong();

    /**
     * @param signals scores failures as the log ingester does (the same recorder, so a ban is issued once)
     * @param alerts  where spraying (and, when configured, stale-password) alerts go
     */
    public AuthPolicy(SignalRecorder signals, PostwardenMetrics metrics, AlertSink alerts) {
        this.logged = Caffeine.newBuilder().maximumSize(10_000).expireAfterWrite(Duration.ofMinutes(1)).build();
        this.signals = signals;
        this.metrics = metrics;
        this.alerts = alerts == null ? AlertSink.NONE : alerts;
    }

    /** The recorder failures are scored through. */
    SignalRecorder signals() {
        return signals;
    }

    /** Judges or records {@code at} under {@code rules} in {@code store}. */
    public AuthVerdict decide(AuthAttempt at, Rules rules, ReputationStore store) {
        AuthVerdict v = at.command() == AuthAttempt.Command.ALLOW ? allow(at, rules, store)
                : report(at, rules, store);
        if (v.status() > 0) {
            counter("postwarden.auth.policy.tarpit.seconds", "Seconds of delay the auth policy asked Dovecot for")
                    .increment(v.status());
        }
        if (v.status() != 0 && at.remote() != null
                && logged.asMap().putIfAbsent(Addresses.format(at.remote()) + " " + v.reason(), Boolean.TRUE) == null) {
            LOG.info("{} {} login{} from {}: {} (logged once a minute per address and reason)",
                    v.refused() ? "refused" : "delayed " + v.status() + "s", AuthState.Protocols.label(at.protocol()),
                    at.login().isEmpty() ? "" : " of " + LogSafe.escape(at.login(), 64),
                    Addresses.format(at.remote()), v.refused() ? v.message() : v.reason().label());
        }
        return v;
    }

    // ---- allow --------------------------------------------------------------------------------------------------

    private AuthVerdict allow(AuthAttempt at, Rules rules, ReputationStore store) {
        InetAddress ip = at.remote();
        if (ip == null) {
            return AuthVerdict.allow(Reason.ALLOWED);
        }
        PostwardenConfig.AuthPolicy c = rules.config().authPolicy();
        if (ours(ip, rules)) {
            return AuthVerdict.allow(Reason.TRUSTED);
        }
        Keys k = new Keys(ip, rules);
        long now = store.time().millis();
        boolean known = known(store, c, at.login(), k, now);
        Cidr permanent = rules.bans().permanentNetwork(ip);
        if (permanent != null) {
            return AuthVerdict.reject(Reason.BANNED, "client network " + permanent + " is banned permanently");
        }
        for (ClientKey key : k.own()) {
            Optional<Ban> ban = store.activeBan(key);
            if (ban.isPresent()) {
                return banned(key, ban.get());
            }
        }
        if (!known) {
            for (ClientKey net : k.networks) {
                Optional<Ban> ban = store.activeBan(net);
                if (ban.isPresent()) {
                    return banned(net, ban.get());
                }
            }
        }
        PostwardenConfig.Scoring s = rules.config().scoring();
        double reject = s.thresholds().reject();
        if (reject > 0) {
            double host = store.score(k.host);
            if (host >= reject) {
                return AuthVerdict.reject(Reason.SCORE, "client score " + fmt(host) + " >= " + fmt(reject));
            }
            if (k.host.v6() && store.score(k.member) >= reject * s.subnetFactor()) {
                return AuthVerdict.reject(Reason.SCORE, "client network " + k.member.cidr() + " score "
                        + fmt(store.score(k.member)) + " >= " + fmt(reject * s.subnetFactor()));
            }
        }
        AuthRing pairs = store.table(AuthState.ADDRESSES).get(k.member.cidr());
        int refuseAt = c.refuse().distinctPasswords();
        if (pairs != null && refuseAt > 0) {
            int n = pairs.distinct(now - c.refuse().window().toMillis());
            if (n >= refuseAt) {
                return AuthVerdict.reject(Reason.BRUTE_FORCE, n + " distinct failed logins from " + k.member.cidr()
                        + " in " + Durations.format(c.refuse().window()));
            }
        }
        if (known) {
            return AuthVerdict.allow(Reason.ALLOWED);
        }
        Spray spray = spray(store, c, k, now);
        if (spray.over()) {
            return AuthVerdict.reject(Reason.SPRAYING, "password spraying from " + k.network.cidr() + ": "
                    + spray.users() + " users from " + spray.hosts() + " addresses");
        }
        int after = c.tarpit().afterFailures();
        if (pairs != null && after > 0) {
            int recent = pairs.distinct(now - c.tarpit().window().toMillis());
            if (recent >= after) {
                return tarpit(c.tarpit(), recent - after, recent + " failed logins in "
                        + Durations.format(c.tarpit().window()));
            }
        }
        double defer = s.thresholds().defer();
        if (defer > 0 && k.network != k.member && store.score(k.network) >= defer * s.subnetFactor()
                && NetworkScores.contributors(store, k.network) >= k.minHosts) {
            return tarpit(c.tarpit(), Integer.MAX_VALUE, "network " + k.network.cidr() + " score "
                    + fmt(store.score(k.network)));
        }
        return AuthVerdict.allow(Reason.ALLOWED);
    }

    private static AuthVerdict banned(ClientKey key, Ban b) {
        return AuthVerdict.reject(Reason.BANNED, "client network " + key.cidr() + " is banned ("
                + LogSafe.escape(b.reason(), 40) + ")");
    }

    /** The delay for {@code extra} failures past the first that is delayed: doubling, at most the maximum. */
    private static AuthVerdict tarpit(PostwardenConfig.AuthTarpit t, int extra, String why) {
        long max = Math.max(1, t.maxDelay().toSeconds());
        long d = Math.max(1, t.initialDelay().toSeconds());
        for (int i = 0; i < extra && d < max; i++) {
            d *= 2;
        }
        return new AuthVerdict((int) Math.min(d, max), "", Reason.TARPIT);
    }

    // ---- report -------------------------------------------------------------------------------------------------

    private AuthVerdict report(AuthAttempt at, Rules rules, ReputationStore store) {
        InetAddress ip = at.remote();
        String login = AuthState.normalize(at.login());
        PostwardenConfig.AuthPolicy c = rules.config().authPolicy();
        long now = store.time().millis();
        Keys k = ip == null ? null : new Keys(ip, rules);
        if (Boolean.TRUE.equals(at.success())) {
            if (k != null && !login.isEmpty()) {
                store.table(AuthState.DEVICES).getOrCreate(device(login, k), x -> new long[1])[0] = now;
            }
            outcome("success");
            return AuthVerdict.allow(Reason.REPORTED);
        }
        if (!Boolean.FALSE.equals(at.success())) {
            outcome("unknown");
            return AuthVerdict.allow(Reason.REPORTED);
        }
        if (k != null && !login.isEmpty()) {
            AuthState.credit(store, ip, login, now);
        }
        if (at.policyReject()) {
            outcome("refused");
            return AuthVerdict.allow(Reason.REPORTED);
        }
        String detail = AuthState.Protocols.label(at.protocol()) + " login failed" + (login.isEmpty() ? ""
                : " for " + LogSafe.escape(login, 64));
        if (k == null) {
            signals.apply(new LogSignal(Signal.AUTH_FAILURE, null, login, 1, detail, ""), rules, store);
            outcome("failure");
            return AuthVerdict.allow(Reason.REPORTED);
        }
        long forget = now - c.refuse().window().toMillis();
        // without a password hash in Dovecot's template, every failure is a distinct one
        long pw = at.pwhash().isEmpty() ? ~unhashed.incrementAndGet() : AuthRing.hash(at.pwhash());
        long user = AuthRing.hash(login);
        boolean fresh = store.table(AuthState.ADDRESSES)
                .getOrCreate(k.member.cidr(), x -> new AuthRing(AuthState.ADDRESS_PAIRS))
                .hit(user, pw, (byte) 0, now, forget);
        if (!login.isEmpty()) {
            long keep = Math.max(c.refuse().window().toMillis(), c.spraying().window().toMillis());
            store.table(AuthState.USERS).getOrCreate(login, x -> new AuthRing(AuthState.USER_ENTRIES))
                    .hit(k.memberId(), pw, k.host.v6() ? AuthState.V6 : 0, now, now - keep);
        }
        if (!fresh) {
            stale(store, c, login, k, now);
            return AuthVerdict.allow(Reason.REPORTED);
        }
        outcome("failure");
        boolean ours = ours(ip, rules);
        if (!login.isEmpty()) {
            sprayed(store, rules, c, login, user, k, ours, now);
        }
        boolean known = known(store, c, login, k, now);
        int distinct = store.table(AuthState.ADDRESSES).get(k.member.cidr()) instanceof AuthRing r ? r.distinct(forget)
                : 1;
        boolean ownTypo = known && (c.refuse().distinctPasswords() == 0 || distinct < c.refuse().distinctPasswords());
        InetAddress scored = ours || ownTypo ? null : ip;
        signals.apply(new LogSignal(Signal.AUTH_FAILURE, scored, login, 1, detail + (ownTypo
                ? " (a known device of the user: its address is not scored)" : ""), ""), rules, store);
        return AuthVerdict.allow(Reason.REPORTED);
    }

    private void stale(ReputationStore store, PostwardenConfig.AuthPolicy c, String login, Keys k, long now) {
        outcome("stale");
        counter("postwarden.auth.policy.stale.passwords", "Failed logins repeating a password that failed before "
                + "(a device with a stale password): counted once").increment();
        if (login.isEmpty()
                || !AuthState.firstIn(store, "stale " + login + " " + k.member.cidr(), now, c.refuse().window())) {
            return;
        }
        String summary = "stale password from a device at " + k.member.cidr() + " for user "
                + LogSafe.escape(login, 64) + ": the same wrong password again (counted once, the address is not "
                + "refused for it)";
        if (c.stalePasswordAlert()) {
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("user", login);
            d.put("address", k.member.cidr());
            alerts.raise(new Alert("auth-stale-password", "user:" + login, summary, d, now));
        } else {
            LOG.info("{}", summary);
        }
    }

    private void sprayed(ReputationStore store, Rules rules, PostwardenConfig.AuthPolicy c, String login, long user,
            Keys k, boolean ours, long now) {
        PostwardenConfig.AuthSpraying s = c.spraying();
        long window = s.window().toMillis();
        if (!ours && s.networkUsers() > 0 && k.network != k.member) {
            store.table(AuthState.NETWORKS).getOrCreate(k.network.cidr(), x -> new AuthRing(AuthState.NETWORK_USERS))
                    .hit(user, k.memberId(), (byte) 0, now, now - window);
            Spray net = spray(store, c, k, now);
            if (net.over() && AuthState.firstIn(store, "spray " + k.network.cidr(), now, s.window())) {
                raiseSpraying("network:" + k.network.cidr(), "password spraying from " + k.network.cidr() + ": "
                        + net.users() + " distinct users failed from " + net.hosts() + " addresses in "
                        + Durations.format(s.window()) + " (auth-policy.spraying.network-users " + s.networkUsers()
                        + "): the network is refused", net, login, now);
            }
        }
        if (s.totalUsers() > 0) {
            AuthRing site = store.table(AuthState.SITE)
                    .getOrCreate(AuthState.TOTAL, x -> new AuthRing(AuthState.TOTAL_USERS));
            site.hit(user, 0, (byte) 0, now, now - window);
            int users = site.distinctA(now - window);
            if (users >= s.totalUsers() && AuthState.firstIn(store, "spray " + AuthState.TOTAL, now, s.window())) {
                raiseSpraying("site", "password spraying against the site: " + users + " distinct users failed in "
                        + Durations.format(s.window()) + " (auth-policy.spraying.total-users " + s.totalUsers() + ")",
                        new Spray(users, 0, true), login, now);
            }
        }
    }

    private void raiseSpraying(String subject, String summary, Spray spray, String lastUser, long now) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("users", spray.users());
        d.put("addresses", spray.hosts());
        d.put("lastUser", lastUser);
        alerts.raise(new Alert("auth-spraying", subject, summary, d, now));
    }

    /** The spraying state of the address's network: its capped distinct users and their members. */
    private static Spray spray(ReputationStore store, PostwardenConfig.AuthPolicy c, Keys k, long now) {
        PostwardenConfig.AuthSpraying s = c.spraying();
        AuthRing r = s.networkUsers() > 0 && k.network != k.member
                ? store.table(AuthState.NETWORKS).get(k.network.cidr())
                : null;
        if (r == null) {
            return new Spray(0, 0, false);
        }
        long since = now - s.window().toMillis();
        int min = k.minHosts;
        int cap = Math.max(1, (s.networkUsers() + min - 1) / min);
        int users = r.distinctACapped(since, cap);
        int hosts = r.distinctB(since);
        return new Spray(users, hosts, users >= s.networkUsers() && hosts >= min);
    }

    private record Spray(int users, int hosts, boolean over) {
    }

    // ---- helpers ------------------------------------------------------------------------------------------------

    /** Never refused, delayed or scored as an address: trusted, own, allowlisted, or a configured proxy. */
    private static boolean ours(InetAddress ip, Rules rules) {
        return rules.trusted(ip) || rules.exempt(ip) || rules.authProxy(ip);
    }

    private static boolean known(ReputationStore store, PostwardenConfig.AuthPolicy c, String login, Keys k,
            long now) {
        String user = AuthState.normalize(login);
        if (user.isEmpty()) {
            return false;
        }
        long[] last = store.table(AuthState.DEVICES).get(device(user, k));
        return last != null && now - last[0] <= c.knownDevice().toMillis();
    }

    private static String device(String login, Keys k) {
        return login + " " + k.member.cidr();
    }

    private void outcome(String what) {
        counter("postwarden.auth.policy.reports", "Dovecot auth-policy reports by outcome", "outcome", what)
                .increment();
    }

    private Counter counter(String name, String description, String... tags) {
        return metrics.counter(name, description, tags);
    }

    private static String fmt(double d) {
        return String.format(Locale.ROOT, "%.1f", d);
    }

    /**
     * The keys of one address: its own levels, the member (IPv4 /32, IPv6 /64) and its networks (the IPv4 /24; the
     * IPv6 tiers of {@code networks.ipv6-tiers}, narrowest first), the narrowest of which is "the network" for
     * spraying and the network score (IPv6 without tiers: the /64 itself).
     */
    private static final class Keys {
        final ClientKey host;
        final ClientKey member;
        final ClientKey network;
        final List<ClientKey> networks;
        final int minHosts;

        Keys(InetAddress ip, Rules rules) {
            NetworkScores.Levels l = NetworkScores.levels(ip, rules);
            host = l.host();
            member = l.member();
            networks = l.networks();
            network = l.network() != null ? l.network() : member;
            minHosts = l.tiers().isEmpty() ? rules.subnetMinHosts() : l.tiers().get(0).minChildren();
        }

        List<ClientKey> own() {
            return host.v6() ? List.of(host, member) : List.of(host);
        }

        /** The member's id in its network: the IPv4 address, or the upper 64 bits of the IPv6 address. */
        long memberId() {
            return host.v6() ? member.hi() : host.lo();
        }
    }

    /** {@link AuthLogins.UserLogins} of {@code user} in {@code store}, for {@code ctl explain USER}. */
    public AuthLogins.UserLogins explain(String user, Rules rules, ReputationStore store) {
        return AuthLogins.explain(user, rules, store, signals.userScore(AuthState.normalize(user), store));
    }
}
