package org.postwarden.outbound;

import org.postwarden.api.Suspensions;
import org.postwarden.config.PostwardenConfig;
import org.postwarden.reputation.ReputationStore;
import org.postwarden.reputation.StateCodec;
import org.postwarden.reputation.StateKind;
import org.postwarden.reputation.StateTable;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the outbound guard keeps, as kinds of store state (bounded, persisted by the store's snapshot, shared like the
 * rest of the store): sender profiles, suspensions with what they held, the owners of queue ids, and the messages
 * already counted as held. The encodings of a profile and of a suspension are those of the guard's own state file
 * before ({@link OutboundSnapshot}, which reads that file once for the upgrade).
 */
public final class OutboundState {
    /** Envelope senders remembered per suspension (for release by sender). */
    static final int MAX_SENDERS = 32;
    /** Queue ids remembered per suspension. */
    static final int MAX_QUEUE_IDS = 20_000;
    /** Bytes of queue ids written per suspension, so a suspension always fits one snapshot value (1 MiB). */
    private static final int QUEUE_ID_BYTES = 768 * 1024;
    private static final int MAX_DETAIL = 4000;
    private static final int MAX_SENDER = 1024;
    /** Characters written of any one string (a modified UTF-8 string holds at most 65535 bytes). */
    private static final int MAX_CHARS = 16_000;
    private static final ProfileCodec PROFILE_CODEC = new ProfileCodec();

    /**
     * Suspensions (key: the subject, {@code user:NAME} or {@code client:ADDRESS}). Never expire on their own (only
     * a release ends one); the bound is far above any real number of suspended senders.
     */
    static final StateKind<Suspended> SUSPENSIONS = new StateKind<>("outbound-suspension", 1, 100_000,
            Duration.ofDays(3650), new SuspensionCodec(), true);
    /** The profile keys of a queued message's sender (key: the Postfix queue id; the subject comes last). */
    static final StateKind<String[]> OWNERS = new StateKind<>("outbound-queue-owner", 1, 200_000,
            Duration.ofDays(6), new OwnerCodec());
    /**
     * Messages already counted as held (key: {@code q|QUEUEID} or {@code i|SOURCE|INSTANCE}; value: when, epoch
     * milliseconds), so each listener's report of one message counts once.
     */
    static final StateKind<Long> HELD = new StateKind<>("outbound-held-message", 1, 100_000,
            Duration.ofHours(6), new StateCodec<>() {
                @Override
                public void write(DataOutput out, Long value) throws IOException {
                    out.writeLong(value);
                }

                @Override
                public Long read(DataInput in, int version) throws IOException {
                    return in.readLong();
                }
            });

    private OutboundState() {
    }

    /**
     * Sender profiles (key: {@code user:NAME}, {@code client:ADDRESS} or {@code client:ADDRESS from DOMAIN}),
     * bounded by {@code outbound.max-profiles} and {@code outbound.profile-expiry}. Equal settings give an equal
     * kind; a store holds one kind per name, so other settings need another store ({@link #needsNewStore}).
     */
    static StateKind<SenderProfile> profiles(PostwardenConfig.Outbound o) {
        return new StateKind<>("outbound-profile", 1, o.maxProfiles(), o.profileExpiry(), PROFILE_CODEC);
    }

    /**
     * True when a store kept for {@code current} cannot hold the profiles of {@code next} (their bounds changed): a
     * reload then moves the state to a new store, as it does when counter windows change.
     */
    public static boolean needsNewStore(PostwardenConfig.Outbound current, PostwardenConfig.Outbound next) {
        return current.maxProfiles() != next.maxProfiles() || !current.profileExpiry().equals(next.profileExpiry());
    }

    /**
     * Puts every suspension of {@code from} into {@code to}, as the same objects (what either store's users add to
     * one is in both). A reload that moves the state to a new store calls it before the new engine takes events, so
     * no suspended sender's message passes while the rest of the state follows.
     */
    public static void carrySuspensions(ReputationStore from, ReputationStore to) {
        StateTable<Suspended> target = to.table(SUSPENSIONS);
        from.table(SUSPENSIONS).forEach(target::put);
    }

    /** A suspension as it is kept: who, since when, why, and what it held since (mutable; guarded by itself). */
    static final class Suspended {
        final String subject;
        final long since;
        final String reason;
        final String detail;
        final AtomicLong held = new AtomicLong();
        private final Set<String> senders = new LinkedHashSet<>();
        private final Set<String> queueIds = new LinkedHashSet<>();

        Suspended(String subject, long since, String reason, String detail) {
            this.subject = subject;
            this.since = since;
            this.reason = reason;
            this.detail = detail;
        }

        /** Remembers an envelope sender and a queue id ("" for none), within their bounds. */
        synchronized void add(String sender, String queueId) {
            if (!sender.isEmpty() && sender.length() <= MAX_SENDER && senders.size() < MAX_SENDERS) {
                senders.add(sender);
            }
            if (!queueId.isEmpty() && queueIds.size() < MAX_QUEUE_IDS) {
                queueIds.add(queueId);
            }
        }

        /** Forgets queue ids (their messages were deleted). */
        synchronized void forget(Collection<String> ids) {
            queueIds.removeAll(ids);
        }

        synchronized Set<String> queueIds() {
            return new LinkedHashSet<>(queueIds);
        }

        synchronized Set<String> senders() {
            return new LinkedHashSet<>(senders);
        }

        synchronized Suspensions.Suspension view() {
            return new Suspensions.Suspension(subject, since, reason, detail, held.get(), List.copyOf(senders),
                    List.copyOf(queueIds));
        }
    }

    // ---- codecs -------------------------------------------------------------------------------------------------

    /** A suspension: subject, since, reason, detail, held count, senders, queue ids (the state file's encoding). */
    private static final class SuspensionCodec implements StateCodec<Suspended> {
        @Override
        public void write(DataOutput out, Suspended s) throws IOException {
            utf(out, s.subject);
            out.writeLong(s.since);
            utf(out, s.reason);
            utf(out, s.detail.length() > MAX_DETAIL ? s.detail.substring(0, MAX_DETAIL) : s.detail);
            out.writeLong(s.held.get());
            List<String> senders;
            List<String> ids = new ArrayList<>();
            synchronized (s) {
                senders = List.copyOf(s.senders);
                long bytes = 0;
                for (String id : s.queueIds) {
                    bytes += 2 + utfLength(id);
                    if (bytes > QUEUE_ID_BYTES) {
                        break;
                    }
                    ids.add(id);
                }
            }
            strings(out, senders);
            strings(out, ids);
        }

        @Override
        public Suspended read(DataInput in, int version) throws IOException {
            return readSuspension(in);
        }
    }

    /** Reads a suspension in the state file's encoding, every count within the bounds it was written with. */
    static Suspended readSuspension(DataInput in) throws IOException {
        Suspended s = new Suspended(in.readUTF(), in.readLong(), in.readUTF(), in.readUTF());
        long held = in.readLong();
        if (held < 0) {
            throw new IOException("bad held count " + held);
        }
        s.held.set(held);
        int senders = count(in.readInt(), MAX_SENDERS, "senders");
        for (int k = 0; k < senders; k++) {
            s.add(in.readUTF(), "");
        }
        int ids = count(in.readInt(), MAX_QUEUE_IDS, "queue ids");
        for (int k = 0; k < ids; k++) {
            s.add("", in.readUTF());
        }
        return s;
    }

    private static void strings(DataOutput out, List<String> list) throws IOException {
        out.writeInt(list.size());
        for (String x : list) {
            utf(out, x);
        }
    }

    /** The bytes {@link #utf} writes for {@code s}, without the length prefix. */
    private static long utfLength(String s) {
        long n = 0;
        for (int i = 0, end = Math.min(s.length(), MAX_CHARS); i < end; i++) {
            char c = s.charAt(i);
            n += c >= 1 && c <= 0x7f ? 1 : c <= 0x7ff ? 2 : 3;
        }
        return n;
    }

    /** Writes {@code s} as modified UTF-8, cut to {@link #MAX_CHARS} (so it never exceeds the format's 65535 bytes). */
    private static void utf(DataOutput out, String s) throws IOException {
        out.writeUTF(s.length() > MAX_CHARS ? s.substring(0, MAX_CHARS) : s);
    }

    private static int count(int n, int max, String what) throws IOException {
        if (n < 0 || n > max) {
            throw new IOException("bad count of " + what + ": " + n + " (max " + max + ")");
        }
        return n;
    }

    /** The profile keys of a message: one or two (a trusted client's per-domain profile, then its subject). */
    private static final class OwnerCodec implements StateCodec<String[]> {
        @Override
        public void write(DataOutput out, String[] keys) throws IOException {
            out.writeByte(keys.length);
            for (String k : keys) {
                utf(out, k);
            }
        }

        @Override
        public String[] read(DataInput in, int version) throws IOException {
            int n = in.readUnsignedByte();
            if (n < 1 || n > 2) {
                throw new IOException("bad count of owner keys: " + n + " (1 or 2)");
            }
            String[] keys = new String[n];
            for (int i = 0; i < n; i++) {
                keys[i] = in.readUTF();
            }
            return keys;
        }
    }

    /** A sender profile (the state file's encoding). */
    private static final class ProfileCodec implements StateCodec<SenderProfile> {
        @Override
        public void write(DataOutput out, SenderProfile p) throws IOException {
            synchronized (p) {
                writeProfile(p, out);
            }
        }

        @Override
        public SenderProfile read(DataInput in, int version) throws IOException {
            return readProfile(in);
        }
    }

    private static void writeProfile(SenderProfile p, DataOutput out) throws IOException {
        out.writeLong(p.hour);
        longs(out, p.current);
        longs(out, p.previous);
        for (double d : p.baseline) {
            out.writeDouble(d);
        }
        out.writeLong(p.lastActiveHour);
        out.writeLong(p.activeHours);
        out.writeLong(p.lastSeenMillis);
        ints(out, p.domainTable());
        out.writeInt(p.domainCount());
        ints(out, p.known);
        out.writeInt(p.knownSize);
        out.writeInt(p.knownNext);
        out.writeInt(p.networks.length);
        for (String n : p.networks) {
            utf(out, n);
        }
        out.writeLong(p.newNetworkUntil);
        longs(out, p.outcomes);
        longs(out, p.previousOutcomes);
        out.writeInt(p.fingerprints.length);
        longs(out, p.fingerprints);
        longs(out, p.fingerprintRecipients);
        out.writeInt(p.previousFingerprints.length);
        longs(out, p.previousFingerprints);
        longs(out, p.previousFingerprintRecipients);
    }

    /** Reads a profile in the state file's encoding, every length within the profile's bounds. */
    static SenderProfile readProfile(DataInput in) throws IOException {
        long hour = in.readLong();
        long[] current = readLongs(in, SenderProfile.DIMENSIONS);
        long[] previous = readLongs(in, SenderProfile.DIMENSIONS);
        double[] baseline = new double[SenderProfile.DIMENSIONS];
        for (int i = 0; i < baseline.length; i++) {
            double b = in.readDouble();
            baseline[i] = Double.isFinite(b) ? b : 0;
        }
        long lastActive = in.readLong();
        long activeHours = in.readLong();
        long lastSeen = in.readLong();
        int[] domains = readInts(in, 2 * SenderProfile.MAX_DOMAINS * 2);
        int domainCount = in.readInt();
        int[] known = readInts(in, 4096);
        int knownSize = in.readInt();
        int knownNext = in.readInt();
        if (known.length == 0 || knownSize < 0 || knownSize > known.length || knownNext < 0
                || knownNext >= known.length) {
            throw new IOException("bad known-recipient ring");
        }
        SenderProfile p = new SenderProfile(known.length);
        p.hour = hour;
        System.arraycopy(current, 0, p.current, 0, current.length);
        System.arraycopy(previous, 0, p.previous, 0, previous.length);
        System.arraycopy(baseline, 0, p.baseline, 0, baseline.length);
        p.lastActiveHour = lastActive;
        p.activeHours = activeHours;
        p.lastSeenMillis = lastSeen;
        int used = 0;
        for (int d : domains) {
            used += d == 0 ? 0 : 1;
        }
        if (domainCount != used || domainCount > domains.length / 2) {
            throw new IOException("bad domain table: " + domainCount + " domains, " + used + " of " + domains.length
                    + " slots used");
        }
        p.restoreDomains(domains, domainCount);
        p.known = known;
        p.knownSize = knownSize;
        p.knownNext = knownNext;
        int nets = in.readInt();
        if (nets < 0 || nets > SenderProfile.MAX_NETWORKS) {
            throw new IOException("bad network count " + nets);
        }
        p.networks = new String[nets];
        for (int i = 0; i < nets; i++) {
            p.networks[i] = in.readUTF();
        }
        p.newNetworkUntil = in.readLong();
        long[] o = readLongs(in, 2);
        long[] po = readLongs(in, 2);
        System.arraycopy(o, 0, p.outcomes, 0, 2);
        System.arraycopy(po, 0, p.previousOutcomes, 0, 2);
        int f = fingerprintCount(in.readInt());
        p.fingerprints = readLongs(in, f);
        p.fingerprintRecipients = readLongs(in, f);
        int pf = fingerprintCount(in.readInt());
        p.previousFingerprints = readLongs(in, pf);
        p.previousFingerprintRecipients = readLongs(in, pf);
        return p;
    }

    private static int fingerprintCount(int n) throws IOException {
        if (n < 0 || n > SenderProfile.MAX_FINGERPRINTS) {
            throw new IOException("bad fingerprint count " + n);
        }
        return n;
    }

    private static void longs(DataOutput out, long[] a) throws IOException {
        for (long v : a) {
            out.writeLong(v);
        }
    }

    private static void ints(DataOutput out, int[] a) throws IOException {
        out.writeInt(a.length);
        for (int v : a) {
            out.writeInt(v);
        }
    }

    private static long[] readLongs(DataInput in, int n) throws IOException {
        long[] a = new long[n];
        for (int i = 0; i < n; i++) {
            a[i] = in.readLong();
        }
        return a;
    }

    private static int[] readInts(DataInput in, int max) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > max) {
            throw new IOException("bad array length " + n);
        }
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
            a[i] = in.readInt();
        }
        return a;
    }
}
