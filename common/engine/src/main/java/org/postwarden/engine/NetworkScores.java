package org.postwarden.engine;

import org.postwarden.config.PostwardenConfig;
import org.postwarden.model.ClientKey;
import org.postwarden.model.Decay;
import org.postwarden.model.KeyLevel;
import org.postwarden.reputation.ReputationStore;
import org.postwarden.reputation.StateCodec;
import org.postwarden.reputation.StateKind;
import org.postwarden.rules.NetworkTier;
import org.postwarden.rules.Rules;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What is judged per host and what per network: "a network needs a crowd".
 *
 * <p>A signal adds its whole weight to the client's own levels (IPv4: the /32; IPv6: the /128 and its /64, which is
 * one site, as for bans) and only a capped share to its networks (IPv4: the /24, whose members are hosts; IPv6: the
 * tiers of {@code networks.ipv6-tiers}, e.g. a /56 whose members are /64s and a /48 whose members are /56s): each
 * member's share of a network's score is at most the tier's cap ({@link NetworkTier#cap()}, by default the host's
 * ban threshold), and what a member's share grew by is what its network, as a member, adds to the next tier. So each
 * tier counts distinct child prefixes, never addresses: a bot rotating through the /64s of one /56 raises that /56
 * but adds at most one capped share to its /48. The store keeps each network's score as always (so reading it costs
 * nothing more); the members' shares live in the store table {@code network-contributors}, one entry per network
 * (key: its CIDR), which also tells how many distinct members contributed. Shares decay with the store's half-life,
 * like the score they add up to, so a network's score stays the sum of its members' decayed shares.
 *
 * <p>A member counts as a contributor while its decayed share is at least {@link #MIN_SHARE} (a weight-1 signal
 * counts for about three half-lives). A network remembers its {@value #MAX_MEMBERS} largest members; a new one
 * beyond that replaces the smallest.
 *
 * <p>The clean history of a host (IPv4 /32, IPv6 /64) is kept in the store table {@code host-history}: messages
 * accepted at END-OF-MESSAGE and the last time its own score was at the tag threshold. Entries idle longer than
 * {@code store.idle-expiry} are forgotten (the host starts over), as the store forgets its keys.
 *
 * <p>The sending score of an authenticated user (signals that belong to the user, such as a quota overrun, instead
 * of its address) is the store table {@code user-send-score}.
 *
 * <p>Thread-safe: the values guard themselves. Costs: a signal adds one table read-or-create per network (and, when
 * the host's own score is at the tag threshold, one per host); a decision reads a table only when its network's
 * score is high enough to matter or a network ban exists; an accepted message writes its host's history once.
 */
public final class NetworkScores {
    /** The smallest decayed share that still makes a member count as a contributor (score points). */
    static final double MIN_SHARE = 0.1;
    /** Members remembered per network. */
    static final int MAX_MEMBERS = 64;

    /** Per network (key: the network's CIDR): each member's capped share of the network's score. */
    static final StateKind<Crowd> CROWDS = new StateKind<>("network-contributors", 2, 200_000, Duration.ofDays(1),
            new CrowdCodec());
    /** The sending score of an authenticated user (key: the SASL user name). */
    static final StateKind<SignalState.Score> USER_SENDING = new StateKind<>("user-send-score", 1, 100_000,
            Duration.ofDays(1), SignalState.SCORE_CODEC);
    private static final String HISTORY = "host-history";
    private static final int MAX_HISTORIES = 500_000;
    private static final HistoryCodec HISTORY_CODEC = new HistoryCodec();

    private NetworkScores() {
    }

    /**
     * The client's keys as this class sees them: own levels, and the networks it belongs to, narrowest first, with
     * their tiers (IPv4: the /24; IPv6: the tiers of {@code networks.ipv6-tiers}, possibly none).
     */
    record Levels(ClientKey host, ClientKey subnet, List<ClientKey> networks, List<NetworkTier> tiers) {
        /** The narrowest network key: the /24, or the first IPv6 tier; null for IPv6 without tiers. */
        ClientKey network() {
            return networks.isEmpty() ? null : networks.get(0);
        }

        /** The key that is "the host" for bans and for the clean history: the /32, or the IPv6 /64. */
        ClientKey member() {
            return host.v6() ? subnet : host;
        }

        /** The member's id within its network: the IPv4 address, or the upper 64 bits of the IPv6 address. */
        long memberId() {
            return host.v6() ? subnet.hi() : host.lo();
        }
    }

    /** The levels of {@code address} under {@code rules}. */
    static Levels levels(InetAddress address, Rules rules) {
        int wide = rules.widePrefix();
        ClientKey host = ClientKey.of(address, KeyLevel.HOST, wide);
        ClientKey subnet = ClientKey.of(address, KeyLevel.SUBNET, wide);
        List<NetworkTier> tiers = rules.networkTiers(host.v6());
        return new Levels(host, subnet, networks(address, tiers, subnet), tiers);
    }

    /** The network keys of {@code address} for {@code tiers}: the /24 ({@code subnet}), or the IPv6 tier prefixes. */
    private static List<ClientKey> networks(InetAddress address, List<NetworkTier> tiers, ClientKey subnet) {
        if (!subnet.v6()) {
            return List.of(subnet);
        }
        ClientKey[] keys = new ClientKey[tiers.size()];
        for (int i = 0; i < keys.length; i++) {
            keys[i] = ClientKey.of(address, KeyLevel.WIDE, tiers.get(i).prefix());
        }
        return List.of(keys);
    }

    /** The networks of {@code address} under {@code rules}, narrowest first, each with its tier. */
    public static List<Network> networksOf(InetAddress address, Rules rules) {
        Levels k = levels(address, rules);
        List<Network> out = new ArrayList<>(k.networks().size());
        for (int i = 0; i < k.networks().size(); i++) {
            out.add(new Network(k.networks().get(i), k.tiers().get(i)));
        }
        return out;
    }

    /** A network key and its tier. */
    public record Network(ClientKey key, NetworkTier tier) {
    }

    /**
     * The scores after one signal: the host's, the subnet's (the IPv4 /24 or the IPv6 /64) and each network's
     * (aligned with {@link Levels#networks()}; for IPv4 the /24 again).
     */
    record Scores(double host, double subnet, double[] networks) {
    }

    /**
     * Adds {@code weight} to the client's scores: whole at its own levels, capped at each network level (a child's
     * share of its network; what that share grew by is what the network, as a child, adds to the next tier); marks
     * the host's history when its own score reaches the tag threshold. Returns the scores after it.
     */
    static Scores add(ReputationStore store, Rules rules, Levels k, double weight) {
        long now = store.time().millis();
        double half = store.settings().halfLife().toMillis();
        double host = store.addScore(k.host(), weight);
        boolean v6 = k.host().v6();
        double subnet = v6 ? store.addScore(k.subnet(), weight) : 0;
        double[] nets = new double[k.networks().size()];
        long child = k.memberId();
        double flow = weight;
        for (int i = 0; i < nets.length; i++) {
            ClientKey net = k.networks().get(i);
            if (flow == 0 && i > 0) {
                nets[i] = store.score(net);
                continue;
            }
            double share = crowd(store, net).add(child, flow, now, half, k.tiers().get(i).cap());
            nets[i] = store.addScore(net, share);
            flow = share;
            child = net.hi();
        }
        if (!v6) {
            subnet = nets[0];
        }
        double dirty = dirtyThreshold(rules.config().scoring().thresholds());
        if (dirty > 0 && (host >= dirty
                || v6 && subnet >= dirty * rules.config().scoring().subnetFactor())) {
            history(store, k.member()).dirty(now);
        }
        return new Scores(host, subnet, nets);
    }

    private static Crowd crowd(ReputationStore store, ClientKey network) {
        return store.table(CROWDS).getOrCreate(network.cidr(), n -> new Crowd());
    }

    /**
     * The lowest positive score threshold (normally {@code scoring.thresholds.tag}): an own score at it spoils a
     * clean history. 0 when every threshold is off.
     */
    static double dirtyThreshold(PostwardenConfig.Thresholds t) {
        return t.tag() > 0 ? t.tag() : t.defer() > 0 ? t.defer() : Math.max(0, t.reject());
    }

    /** Distinct members whose share of {@code network}'s score is at least {@link #MIN_SHARE} now. */
    public static int contributors(ReputationStore store, ClientKey network) {
        Crowd c = store.table(CROWDS).get(network.cidr());
        return c == null ? 0 : c.contributors(store.time().millis(), store.settings().halfLife().toMillis());
    }

    // ---- clean history ------------------------------------------------------------------------------------------

    /** The history table of {@code store}: its entries expire after the store's own idle expiry. */
    private static StateKind<History> historyKind(ReputationStore store) {
        return new StateKind<>(HISTORY, 1, MAX_HISTORIES, store.settings().idleExpiry(), HISTORY_CODEC);
    }

    private static History history(ReputationStore store, ClientKey member) {
        return store.table(historyKind(store)).getOrCreate(member.cidr(), m -> new History());
    }

    /** Counts an accepted message of the host {@code member} (IPv4 /32, IPv6 /64). */
    static void accepted(ReputationStore store, ClientKey member) {
        history(store, member).accepted();
    }

    /**
     * Whether the host {@code member} has a clean history now: at least {@code networks.clean-history-messages}
     * accepted messages and no own score at the tag threshold within {@code store.idle-expiry}.
     */
    static boolean clean(ReputationStore store, Rules rules, ClientKey member) {
        int need = rules.cleanHistoryMessages();
        if (need <= 0) {
            return false;
        }
        History h = store.table(historyKind(store)).get(member.cidr());
        return h != null && h.clean(need, store.time().millis(), store.settings().idleExpiry().toMillis());
    }

    /** The history of a host for explanations. */
    public record HistoryView(int acceptedMessages, long lastOwnScoreAtTagMillis, boolean clean) {
    }

    /** The history of {@code member} (IPv4 /32, IPv6 /64), or null when there is none. */
    public static HistoryView history(ReputationStore store, Rules rules, ClientKey member) {
        History h = store.table(historyKind(store)).get(member.cidr());
        if (h == null) {
            return null;
        }
        synchronized (h) {
            return new HistoryView(h.accepted, h.dirtyMillis, clean(store, rules, member));
        }
    }

    /** The decayed sending score of the authenticated user {@code user} (0 when none). */
    public static double userSendingScore(ReputationStore store, String user) {
        SignalState.Score s = store.table(USER_SENDING).get(user);
        return s == null ? 0 : s.at(store.time().millis(), store.settings().halfLife().toMillis());
    }

    /** Adds {@code weight} to the sending score of {@code user}; returns it. */
    static double addUserSending(ReputationStore store, String user, double weight) {
        return store.table(USER_SENDING).getOrCreate(user, u -> new SignalState.Score())
                .add(weight, store.time().millis(), store.settings().halfLife().toMillis());
    }

    // ---- values -------------------------------------------------------------------------------------------------

    /** The members of one network with their shares as of {@code millis}. Guarded by itself. */
    static final class Crowd {
        private long[] members = new long[4];
        private float[] shares = new float[4];
        private int size;
        private long millis;

        /**
         * Adds {@code weight} to {@code member}'s share (decayed to {@code now}), kept within 0 and {@code cap};
         * returns by how much the network's sum changed.
         */
        synchronized double add(long member, double weight, long now, double halfLifeMillis, double cap) {
            decayTo(now, halfLifeMillis);
            int i = indexOf(member);
            if (i < 0) {
                if (weight <= 0) {
                    return 0;
                }
                i = slot();
                members[i] = member;
                shares[i] = 0;
            }
            double old = shares[i];
            double updated = Math.min(cap, Math.max(0, old + weight));
            shares[i] = (float) updated;
            return shares[i] - old;
        }

        synchronized int contributors(long now, double halfLifeMillis) {
            double f = now > millis ? Decay.decayed(1, now - millis, halfLifeMillis) : 1;
            int n = 0;
            for (int i = 0; i < size; i++) {
                if (shares[i] * f >= MIN_SHARE) {
                    n++;
                }
            }
            return n;
        }

        private void decayTo(long now, double halfLifeMillis) {
            if (now > millis) {
                if (millis > 0 && size > 0) {
                    float f = (float) Decay.decayed(1, now - millis, halfLifeMillis);
                    for (int i = 0; i < size; i++) {
                        shares[i] *= f;
                    }
                }
                millis = now;
            }
        }

        private int indexOf(long member) {
            for (int i = 0; i < size; i++) {
                if (members[i] == member) {
                    return i;
                }
            }
            return -1;
        }

        /** A free slot: appended, or (full) the member with the smallest share, replaced. */
        private int slot() {
            if (size < MAX_MEMBERS) {
                if (size == members.length) {
                    members = Arrays.copyOf(members, Math.min(MAX_MEMBERS, size * 2));
                    shares = Arrays.copyOf(shares, members.length);
                }
                return size++;
            }
            int min = 0;
            for (int i = 1; i < size; i++) {
                if (shares[i] < shares[min]) {
                    min = i;
                }
            }
            return min;
        }
    }

    /**
     * Encoding 2: member count (byte), time of the shares (long), then per member its id (long) and share (float).
     * Encoding 1 (before the crowd rule) held the addresses of contributing hosts without shares: read and dropped,
     * so an upgraded network waits for fresh contributors.
     */
    private static final class CrowdCodec implements StateCodec<Crowd> {
        @Override
        public void write(DataOutput out, Crowd c) throws IOException {
            synchronized (c) {
                out.writeByte(c.size);
                out.writeLong(c.millis);
                for (int i = 0; i < c.size; i++) {
                    out.writeLong(c.members[i]);
                    out.writeFloat(c.shares[i]);
                }
            }
        }

        @Override
        public Crowd read(DataInput in, int version) throws IOException {
            int n = in.readUnsignedByte();
            if (n > MAX_MEMBERS) {
                throw new IOException(n + " contributors (max " + MAX_MEMBERS + ")");
            }
            Crowd c = new Crowd();
            if (version == 1) {
                for (int i = 0; i < n; i++) {
                    SignalState.readAddress(in);
                }
                return c;
            }
            c.millis = in.readLong();
            c.members = new long[Math.max(4, n)];
            c.shares = new float[c.members.length];
            for (int i = 0; i < n; i++) {
                c.members[i] = in.readLong();
                float share = in.readFloat();
                c.shares[i] = Float.isFinite(share) && share > 0 ? share : 0;
            }
            c.size = n;
            return c;
        }
    }

    /** A host's accepted messages and when its own score was last at the tag threshold (0: never). */
    static final class History {
        private int accepted;
        private long dirtyMillis;

        synchronized void accepted() {
            if (accepted < Integer.MAX_VALUE) {
                accepted++;
            }
        }

        synchronized void dirty(long now) {
            dirtyMillis = Math.max(dirtyMillis, now);
        }

        synchronized boolean clean(int need, long now, long windowMillis) {
            return accepted >= need && (dirtyMillis == 0 || now - dirtyMillis >= windowMillis);
        }
    }

    private static final class HistoryCodec implements StateCodec<History> {
        @Override
        public void write(DataOutput out, History h) throws IOException {
            synchronized (h) {
                out.writeInt(h.accepted);
                out.writeLong(h.dirtyMillis);
            }
        }

        @Override
        public History read(DataInput in, int version) throws IOException {
            History h = new History();
            h.accepted = Math.max(0, in.readInt());
            h.dirtyMillis = in.readLong();
            return h;
        }
    }
}
