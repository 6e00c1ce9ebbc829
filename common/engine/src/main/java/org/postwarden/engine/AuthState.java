package org.postwarden.engine;

import org.postwarden.model.Addresses;
import org.postwarden.reputation.ReputationStore;
import org.postwarden.reputation.StateCodec;
import org.postwarden.reputation.StateKind;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.Locale;

/**
 * The auth policy's store state ({@link AuthPolicy}): the kinds of its tables with their bounds and codecs, the
 * credits that keep a failure reported by Dovecot from being counted again from its log line, the once-per-window
 * record of alerts and log lines, and the normalised user names they are keyed by. Thread-safe: the values guard
 * themselves.
 */
final class AuthState {
    /** How long a reported failure waits for its log line. */
    static final long CREDIT_MILLIS = Duration.ofMinutes(10).toMillis();
    static final int ADDRESS_PAIRS = 64;
    static final int USER_ENTRIES = 32;
    static final int NETWORK_USERS = 256;
    static final int TOTAL_USERS = 1024;
    static final byte V6 = 6;
    static final String TOTAL = "all";

    static final AuthRing.Codec RING = new AuthRing.Codec();
    static final StateCodec<long[]> LONGS = new LongsCodec();
    /** Per address (IPv4 /32, IPv6 /64): distinct (user, password hash) pairs that failed. */
    static final StateKind<AuthRing> ADDRESSES = new StateKind<>("auth-address-failures", 1, 200_000,
            Duration.ofDays(7), RING);
    /** Per user (the login): failures by (address, password hash); the tag marks IPv6 members. */
    static final StateKind<AuthRing> USERS = new StateKind<>("auth-user-failures", 1, 100_000, Duration.ofDays(7),
            RING);
    /** Per network: failed users (a: user, b: member). */
    static final StateKind<AuthRing> NETWORKS = new StateKind<>("auth-network-users", 1, 50_000, Duration.ofDays(1),
            RING);
    /** The whole site's failed users, under {@link #TOTAL}. */
    static final StateKind<AuthRing> SITE = new StateKind<>("auth-site-users", 1, 1, Duration.ofDays(3650), RING);
    /** Known devices (key: login and member CIDR): the last successful login. */
    static final StateKind<long[]> DEVICES = new StateKind<>("auth-known-devices", 1, 500_000, Duration.ofDays(400),
            LONGS);
    /** When an alert or a log line of a kind was last raised (key: kind and subject). */
    static final StateKind<long[]> ALERTED = new StateKind<>("auth-alert-time", 1, 20_000, Duration.ofDays(2), LONGS);
    /** Reported failures that a log line may still consume (key: address and login): credits and time. */
    static final StateKind<long[]> REPORTED = new StateKind<>("auth-reported", 1, 100_000, Duration.ofHours(1),
            LONGS);

    // ---- shared with the log side ---------------------------------------------------------------------------

    /**
     * A failure of {@code user} from {@code ip} read from a log line, {@code count} times: returns how many of them
     * the auth policy has not counted already (credits left by reports within the last 10 minutes are used up).
     */
    static int consumeReported(ReputationStore store, InetAddress ip, String user, int count) {
        long[] credit = store.table(REPORTED).get(creditKey(ip, normalize(user)));
        if (credit == null) {
            return count;
        }
        long now = store.time().millis();
        synchronized (credit) {
            if (now - credit[1] > CREDIT_MILLIS) {
                credit[0] = 0;
            }
            long used = Math.min(credit[0], count);
            credit[0] -= used;
            return (int) (count - used);
        }
    }

    static void credit(ReputationStore store, InetAddress ip, String login, long now) {
        long[] credit = store.table(REPORTED).getOrCreate(creditKey(ip, login), x -> new long[2]);
        synchronized (credit) {
            if (now - credit[1] > CREDIT_MILLIS) {
                credit[0] = 0;
            }
            credit[0] = Math.min(credit[0] + 1, 1000);
            credit[1] = now;
        }
    }

    static String creditKey(InetAddress ip, String login) {
        return Addresses.format(ip) + " " + login;
    }

    /** Whether nothing of {@code what} was raised within {@code every}; if so, notes {@code now}. */
    static boolean firstIn(ReputationStore store, String what, long now, Duration every) {
        long[] last = store.table(ALERTED).getOrCreate(what, x -> new long[] {Long.MIN_VALUE});
        synchronized (last) {
            if (last[0] != Long.MIN_VALUE && now - last[0] < every.toMillis()) {
                return false;
            }
            last[0] = now;
            return true;
        }
    }

    /** User names as Dovecot's log writes them (its {@code user=<...>} is the requested name). */
    static String normalize(String login) {
        return login == null ? "" : login.strip().toLowerCase(Locale.ROOT);
    }

    /** The bounded protocol label of a Dovecot service, for details and logs. */
    static final class Protocols {
        private Protocols() {
        }

        static String label(String protocol) {
            String p = protocol == null ? "" : protocol.toLowerCase(Locale.ROOT);
            return switch (p) {
                case "imap", "pop3", "submission", "lmtp", "sieve", "managesieve", "smtp" -> p;
                default -> p.isEmpty() ? "dovecot" : "other";
            };
        }
    }

    private static final class LongsCodec implements StateCodec<long[]> {
        @Override
        public void write(DataOutput out, long[] v) throws IOException {
            synchronized (v) {
                out.writeByte(v.length);
                for (long x : v) {
                    out.writeLong(x);
                }
            }
        }

        @Override
        public long[] read(DataInput in, int version) throws IOException {
            int n = in.readUnsignedByte();
            if (n > 8) {
                throw new IOException(n + " values (max 8)");
            }
            long[] v = new long[n];
            for (int i = 0; i < n; i++) {
                v[i] = in.readLong();
            }
            return v;
        }
    }

    private AuthState() {
    }
}
