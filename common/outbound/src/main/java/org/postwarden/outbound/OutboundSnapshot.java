package org.postwarden.outbound;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;

/**
 * The outbound guard's state on disk ({@code outbound.state-path}): every profile and every suspension, so a
 * restart forgets neither a sender's normal nor who is suspended. Binary, versioned, with a CRC32 over the whole
 * content; written to a temporary file and atomically renamed over the old one. A file that cannot be read is moved
 * aside with an ERROR line and the guard starts empty. Profiles silent for longer than {@code profile-expiry} are
 * not restored. Not thread-safe per file: the daemon saves from one thread.
 */
public final class OutboundSnapshot {
    private static final Logger LOG = LoggerFactory.getLogger(OutboundSnapshot.class);
    private static final int MAGIC = 0x50574f42; // "PWOB"
    private static final int VERSION = 1;

    private final Path path;

    public OutboundSnapshot(Path path) {
        this.path = path;
    }

    public Path path() {
        return path;
    }

    /** What a save or load covered. */
    public record Counts(int profiles, int suspensions) {
    }

    /** Writes {@code guard}'s state to the file (atomic replace). */
    public synchronized Counts save(OutboundGuard guard) throws IOException {
        Path dir = path.toAbsolutePath().getParent();
        if (dir != null) {
            Files.createDirectories(dir);
        }
        Path tmp = path.resolveSibling(path.getFileName() + ".tmp");
        Counts c;
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tmp))) {
            c = write(guard, out);
        }
        try {
            Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING);
        }
        return c;
    }

    /** Restores the file into {@code guard}; empty when there is none (or it was unreadable and moved aside). */
    public synchronized java.util.Optional<Counts> load(OutboundGuard guard) {
        if (!Files.exists(path)) {
            return java.util.Optional.empty();
        }
        try (InputStream in = new BufferedInputStream(Files.newInputStream(path))) {
            return java.util.Optional.of(read(guard, in));
        } catch (IOException | RuntimeException e) {
            Path aside = path.resolveSibling(path.getFileName() + ".corrupt-" + guard.time().millis());
            try {
                Files.move(path, aside, StandardCopyOption.REPLACE_EXISTING);
                LOG.error("outbound state {} is unreadable ({}); moved aside to {} and starting without profiles",
                        path, e.toString(), aside);
            } catch (IOException moveFailed) {
                LOG.error("outbound state {} is unreadable ({}) and could not be moved aside ({}); starting without "
                        + "profiles", path, e.toString(), moveFailed.toString());
            }
            return java.util.Optional.empty();
        }
    }

    static Counts write(OutboundGuard guard, OutputStream target) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream(64 * 1024);
        DataOutputStream out = new DataOutputStream(buf);
        List<Map.Entry<String, SenderProfile>> profiles = new ArrayList<>(guard.profiles().entrySet());
        out.writeInt(profiles.size());
        for (Map.Entry<String, SenderProfile> en : profiles) {
            out.writeUTF(en.getKey());
            SenderProfile p = en.getValue();
            synchronized (p) {
                writeProfile(p, out);
            }
        }
        List<OutboundGuard.State> states = new ArrayList<>(guard.suspensionStates().values());
        out.writeInt(states.size());
        for (OutboundGuard.State s : states) {
            out.writeUTF(s.subject);
            out.writeLong(s.since);
            out.writeUTF(s.reason);
            out.writeUTF(cap(s.detail));
            out.writeLong(s.held.get());
            synchronized (s) {
                strings(out, s.senders);
                strings(out, s.queueIds);
            }
        }
        out.flush();
        byte[] body = buf.toByteArray();
        CRC32 crc = new CRC32();
        crc.update(body);
        DataOutputStream head = new DataOutputStream(target);
        head.writeInt(MAGIC);
        head.writeInt(VERSION);
        head.writeInt(body.length);
        head.write(body);
        head.writeLong(crc.getValue());
        head.flush();
        return new Counts(profiles.size(), states.size());
    }

    private static String cap(String s) {
        return s.length() > 4000 ? s.substring(0, 4000) : s;
    }

    private static void strings(DataOutputStream out, java.util.Collection<String> list) throws IOException {
        out.writeInt(list.size());
        for (String x : list) {
            out.writeUTF(x);
        }
    }

    private static void writeProfile(SenderProfile p, DataOutputStream out) throws IOException {
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
            out.writeUTF(n);
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

    private static void longs(DataOutputStream out, long[] a) throws IOException {
        for (long v : a) {
            out.writeLong(v);
        }
    }

    private static void ints(DataOutputStream out, int[] a) throws IOException {
        out.writeInt(a.length);
        for (int v : a) {
            out.writeInt(v);
        }
    }

    static Counts read(OutboundGuard guard, InputStream source) throws IOException {
        DataInputStream head = new DataInputStream(source);
        if (head.readInt() != MAGIC) {
            throw new IOException("not a Postwarden outbound state file (bad magic)");
        }
        int version = head.readInt();
        if (version != VERSION) {
            throw new IOException("unsupported outbound state version " + version);
        }
        int length = head.readInt();
        if (length < 8 || length > 1 << 30) {
            throw new IOException("bad length " + length);
        }
        byte[] body = head.readNBytes(length);
        if (body.length != length) {
            throw new IOException("truncated: " + body.length + " of " + length + " bytes");
        }
        CRC32 crc = new CRC32();
        crc.update(body);
        if (head.readLong() != crc.getValue()) {
            throw new IOException("checksum mismatch");
        }
        DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(body));
        long now = guard.time().millis();
        long expiry = guard.expiryMillis();
        int n = count(in.readInt());
        int restored = 0;
        for (int i = 0; i < n; i++) {
            String key = in.readUTF();
            SenderProfile p = readProfile(in);
            if (now - p.lastSeenMillis <= expiry) {
                guard.restore(key, p);
                restored++;
            }
        }
        int m = count(in.readInt());
        for (int i = 0; i < m; i++) {
            OutboundGuard.State s = new OutboundGuard.State(in.readUTF(), in.readLong(), in.readUTF(), in.readUTF());
            s.held.set(in.readLong());
            int senders = count(in.readInt());
            for (int k = 0; k < senders; k++) {
                s.add(in.readUTF(), "");
            }
            int ids = count(in.readInt());
            for (int k = 0; k < ids; k++) {
                s.add("", in.readUTF());
            }
            guard.restore(s);
        }
        return new Counts(restored, m);
    }

    private static int count(int n) throws IOException {
        if (n < 0 || n > 50_000_000) {
            throw new IOException("bad count " + n);
        }
        return n;
    }

    private static SenderProfile readProfile(DataInputStream in) throws IOException {
        long hour = in.readLong();
        long[] current = readLongs(in, SenderProfile.DIMENSIONS);
        long[] previous = readLongs(in, SenderProfile.DIMENSIONS);
        double[] baseline = new double[SenderProfile.DIMENSIONS];
        for (int i = 0; i < baseline.length; i++) {
            baseline[i] = in.readDouble();
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

    private static long[] readLongs(DataInputStream in, int n) throws IOException {
        long[] a = new long[n];
        for (int i = 0; i < n; i++) {
            a[i] = in.readLong();
        }
        return a;
    }

    private static int[] readInts(DataInputStream in, int max) throws IOException {
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
