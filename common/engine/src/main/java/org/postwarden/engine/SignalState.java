package org.postwarden.engine;

import org.postwarden.model.Decay;
import org.postwarden.reputation.StateCodec;
import org.postwarden.reputation.StateKind;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * What the signal recorder learns besides the store's counters and scores, as kinds of store state (so it is
 * bounded, persisted by the snapshot and shared like the rest): the failed-login score of each user, the distinct
 * addresses that failed logins against a user, when a user was last alerted on, and the private-range traffic
 * shares of the Docker-gateway guard. The hosts that contributed to a network's score are {@link NetworkScores}'.
 */
final class SignalState {
    /** Distinct addresses remembered per user (a crowd of this many is enough for every rule). */
    static final int MAX_SOURCES = 64;

    /** Encodes a {@link Score}: its value and when it was last changed. */
    static final StateCodec<Score> SCORE_CODEC = new ScoreCodec();
    /** The decaying failed-login score of a user ({@code user} key). */
    static final StateKind<Score> USER_SCORES = new StateKind<>("user-auth-score", 1, 100_000, Duration.ofDays(1),
            SCORE_CODEC);
    /** The distinct addresses that failed logins against a user (key: the user). */
    static final StateKind<Sources> USER_SOURCES = new StateKind<>("user-auth-sources", 1, 100_000,
            Duration.ofDays(1), new SourcesCodec());
    /** When a user was last alerted on (key: the user; value: epoch milliseconds). */
    static final StateKind<long[]> USER_ALERTS = new StateKind<>("user-alert-time", 1, 100_000, Duration.ofDays(7),
            new StateCodec<>() {
                @Override
                public void write(DataOutput out, long[] value) throws IOException {
                    synchronized (value) {
                        out.writeLong(value[0]);
                    }
                }

                @Override
                public long[] read(DataInput in, int version) throws IOException {
                    return new long[] {in.readLong()};
                }
            });
    /** The private-range traffic of the whole site, under the one key {@link #ALL}. */
    static final StateKind<PrivateTraffic> PRIVATE_TRAFFIC = new StateKind<>("private-traffic", 1, 1,
            Duration.ofDays(3650), new PrivateTraffic.Codec());
    static final String ALL = "all";

    private SignalState() {
    }

    /** A decaying score with the time it was last changed. Guarded by itself. */
    static final class Score {
        private double value;
        private long millis;

        synchronized double add(double weight, long now, double halfLifeMillis) {
            value = (millis > 0 ? Decay.decayed(value, now - millis, halfLifeMillis) : value) + weight;
            millis = Math.max(millis, now);
            return value;
        }

        synchronized double at(long now, double halfLifeMillis) {
            return Decay.decayed(value, now - millis, halfLifeMillis);
        }
    }

    /** Distinct addresses, up to {@link #MAX_SOURCES}. Guarded by itself. */
    static final class Sources {
        private final Set<InetAddress> seen = new LinkedHashSet<>();

        synchronized void add(InetAddress a) {
            if (seen.size() < MAX_SOURCES) {
                seen.add(a);
            }
        }

        synchronized int size() {
            return seen.size();
        }
    }

    private static final class ScoreCodec implements StateCodec<Score> {
        @Override
        public void write(DataOutput out, Score s) throws IOException {
            synchronized (s) {
                out.writeDouble(s.value);
                out.writeLong(s.millis);
            }
        }

        @Override
        public Score read(DataInput in, int version) throws IOException {
            Score s = new Score();
            double v = in.readDouble();
            s.value = Double.isFinite(v) ? v : 0;
            s.millis = in.readLong();
            return s;
        }
    }

    private static final class SourcesCodec implements StateCodec<Sources> {
        @Override
        public void write(DataOutput out, Sources s) throws IOException {
            synchronized (s) {
                out.writeByte(s.seen.size());
                for (InetAddress a : s.seen) {
                    writeAddress(out, a);
                }
            }
        }

        @Override
        public Sources read(DataInput in, int version) throws IOException {
            int n = in.readUnsignedByte();
            if (n > MAX_SOURCES) {
                throw new IOException(n + " sources (max " + MAX_SOURCES + ")");
            }
            Sources s = new Sources();
            for (int i = 0; i < n; i++) {
                s.seen.add(readAddress(in));
            }
            return s;
        }
    }

    static void writeAddress(DataOutput out, InetAddress a) throws IOException {
        byte[] b = a.getAddress();
        out.writeByte(b.length);
        out.write(b);
    }

    static InetAddress readAddress(DataInput in) throws IOException {
        int len = in.readUnsignedByte();
        if (len != 4 && len != 16) {
            throw new IOException("an address of " + len + " bytes");
        }
        byte[] b = new byte[len];
        in.readFully(b);
        return InetAddress.getByAddress(b);
    }
}
