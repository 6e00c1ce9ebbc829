package org.postwarden.engine;

import org.postwarden.config.PostwardenConfig;
import org.postwarden.model.ClientKey;
import org.postwarden.model.KeyLevel;
import org.postwarden.reputation.StateCodec;
import org.postwarden.reputation.StateKind;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Greylisting's state, as kinds of store state (bounded, persisted by the snapshot, shared like the rest):
 * <ul>
 * <li>{@code greylist-triplet}: per (sender, recipient) pair, the client networks it came from (at most
 * {@link #MAX_NETWORKS}), each with its first client address, first and last attempt and when it passed. One key
 * per pair rather than per triplet, so a retry from another network of the same sender pool finds the attempt it
 * continues;</li>
 * <li>{@code greylist-network}: per client network (/24, /64), its passed retries, for auto-allowlisting.</li>
 * </ul>
 * Both are bounded by {@code greylist.max-entries} and drop what was not seen for {@code greylist.max-age}; a
 * reload that changes either moves the state to a new store ({@link #needsNewStore}).
 */
final class GreylistState {
    /** Client networks remembered per (sender, recipient) pair; the least recently seen goes first. */
    static final int MAX_NETWORKS = 8;

    private GreylistState() {
    }

    /** The pair table's kind for {@code g}'s bounds (a store holds one kind per name). */
    static StateKind<Pair> pairs(PostwardenConfig.Greylist g) {
        return new StateKind<>("greylist-triplet", 1, g.maxEntries(), g.maxAge(), PAIR_CODEC);
    }

    /** The network table's kind for {@code g}'s bounds. */
    static StateKind<Network> networks(PostwardenConfig.Greylist g) {
        return new StateKind<>("greylist-network", 1, g.maxEntries(), g.maxAge(), NETWORK_CODEC);
    }

    /**
     * True when a store kept for {@code current} cannot hold the greylist tables of {@code next} (their bounds
     * changed, whether or not greylisting is on): a reload then moves the state to a new store.
     */
    static boolean needsNewStore(PostwardenConfig.Greylist current, PostwardenConfig.Greylist next) {
        return current.maxEntries() != next.maxEntries() || !current.maxAge().equals(next.maxAge());
    }

    /**
     * The key of a (sender, recipient) pair: both lower-cased; the sender's local part without a {@code +extension}
     * and with each run of digits as {@code #}, as postgrey does, so per-message bounce addresses of one list
     * (VERP, {@code bounce-1234@...}) are one sender. The recipient is kept as it is (lower-cased).
     */
    static String pairKey(String sender, String recipient) {
        return normalizeSender(sender) + "\n" + recipient.toLowerCase(Locale.ROOT);
    }

    static String normalizeSender(String sender) {
        String s = sender.toLowerCase(Locale.ROOT);
        int at = s.lastIndexOf('@');
        if (at <= 0) {
            return s;
        }
        String local = s.substring(0, at);
        int plus = local.indexOf('+');
        if (plus > 0) {
            local = local.substring(0, plus);
        }
        return local.replaceAll("[0-9]+", "#") + s.substring(at);
    }

    /** The attempts of one pair. Guarded by itself; its attempts too. */
    static final class Pair {
        final List<Attempt> attempts = new ArrayList<>(2);

        /** The attempt from {@code network} (a /24 or /64 key), or null. */
        Attempt of(ClientKey network, int widePrefix) {
            for (Attempt a : attempts) {
                if (a.network(widePrefix).equals(network)) {
                    return a;
                }
            }
            return null;
        }

        /** The attempt whose first client was {@code client}, or null. */
        Attempt byClient(InetAddress client) {
            for (Attempt a : attempts) {
                if (a.client.equals(client)) {
                    return a;
                }
            }
            return null;
        }

        /** Adds an attempt, dropping the least recently seen one when there are {@link #MAX_NETWORKS}. */
        Attempt add(InetAddress client, long first, long now) {
            if (attempts.size() >= MAX_NETWORKS) {
                Attempt oldest = attempts.get(0);
                for (Attempt a : attempts) {
                    if (a.last < oldest.last) {
                        oldest = a;
                    }
                }
                attempts.remove(oldest);
            }
            Attempt a = new Attempt(client, first, now, 0);
            attempts.add(a);
            return a;
        }

        /** Drops attempts not seen for {@code maxAgeMillis}. */
        void forgetOlderThan(long now, long maxAgeMillis) {
            attempts.removeIf(a -> now - a.last > maxAgeMillis);
        }
    }

    /** The attempts of one (client network, sender, recipient) triplet. Guarded by its pair. */
    static final class Attempt {
        final InetAddress client;
        long first;
        long last;
        /** When a retry passed (epoch ms), 0 while waiting. */
        long passed;

        Attempt(InetAddress client, long first, long last, long passed) {
            this.client = client;
            this.first = first;
            this.last = last;
            this.passed = passed;
        }

        ClientKey network(int widePrefix) {
            return ClientKey.of(client, KeyLevel.SUBNET, widePrefix);
        }
    }

    /** A client network's passed retries. Guarded by itself. */
    static final class Network {
        private int passes;

        synchronized int passes() {
            return passes;
        }

        /** One more passed retry; returns the new count. */
        synchronized int pass() {
            if (passes < Integer.MAX_VALUE) {
                passes++;
            }
            return passes;
        }
    }

    private static final StateCodec<Pair> PAIR_CODEC = new StateCodec<>() {
        @Override
        public void write(DataOutput out, Pair p) throws IOException {
            synchronized (p) {
                out.writeByte(p.attempts.size());
                for (Attempt a : p.attempts) {
                    SignalState.writeAddress(out, a.client);
                    out.writeLong(a.first);
                    out.writeLong(a.last);
                    out.writeLong(a.passed);
                }
            }
        }

        @Override
        public Pair read(DataInput in, int version) throws IOException {
            int n = in.readUnsignedByte();
            if (n > MAX_NETWORKS) {
                throw new IOException(n + " networks in a greylist pair (max " + MAX_NETWORKS + ")");
            }
            Pair p = new Pair();
            for (int i = 0; i < n; i++) {
                p.attempts.add(new Attempt(SignalState.readAddress(in), in.readLong(), in.readLong(),
                        in.readLong()));
            }
            return p;
        }
    };

    private static final StateCodec<Network> NETWORK_CODEC = new StateCodec<>() {
        @Override
        public void write(DataOutput out, Network n) throws IOException {
            out.writeInt(n.passes());
        }

        @Override
        public Network read(DataInput in, int version) throws IOException {
            Network n = new Network();
            n.passes = Math.max(0, in.readInt());
            return n;
        }
    };
}
