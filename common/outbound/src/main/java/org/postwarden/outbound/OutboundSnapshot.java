package org.postwarden.outbound;

import org.postwarden.outbound.OutboundState.Suspended;
import org.postwarden.reputation.StateTable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;
import java.util.zip.CRC32;

/**
 * The outbound guard's state file of the releases before its state moved into the store ({@code outbound.state-path};
 * magic {@code PWOB}, version 1: every profile and every suspension, with a CRC32 over the whole content). It is
 * only read, once, for the upgrade: {@link #upgrade} imports it into the store's tables ({@link OutboundState}),
 * from where the store snapshot ({@code store.snapshot.path}) persists it, and renames it to
 * {@code NAME.imported}. A file that cannot be read is moved aside with an ERROR line and nothing is imported.
 * Profiles silent for longer than {@code profile-expiry} are not imported; a key the store already holds keeps the
 * store's state. Not thread-safe: the daemon upgrades once, at start, before the listeners.
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

    /** What an import covered: profiles and suspensions taken into the store. */
    public record Counts(int profiles, int suspensions) {
    }

    /**
     * Imports the file, when there is one, into the tables of {@code guard}'s current store, then runs
     * {@code persist} (the daemon writes a store snapshot, so the state is on disk in its new place) and renames the
     * file to {@code NAME.imported}, so it is never imported again. Empty when there is no file, or it was
     * unreadable (and moved aside).
     */
    public Optional<Counts> upgrade(OutboundGuard guard, Runnable persist) {
        Optional<Counts> c = importInto(guard);
        if (c.isEmpty()) {
            return c;
        }
        persist.run();
        Path done = path.resolveSibling(path.getFileName() + ".imported");
        try {
            Files.move(path, done, StandardCopyOption.REPLACE_EXISTING);
            LOG.info("imported the outbound state file {} ({} sender profiles, {} suspensions) into the store and "
                    + "renamed it to {}: outbound state now lives in the store snapshot (store.snapshot.path); "
                    + "outbound.state-path is only read for this upgrade", path, c.get().profiles(),
                    c.get().suspensions(), done);
        } catch (IOException e) {
            LOG.error("imported the outbound state file {} ({} sender profiles, {} suspensions) into the store, but "
                    + "could not rename it to {} ({}): remove it, or the next start imports it again", path,
                    c.get().profiles(), c.get().suspensions(), done, e.toString());
        }
        return c;
    }

    /** Reads the file into {@code guard}'s current store; empty when there is none (or it was moved aside). */
    Optional<Counts> importInto(OutboundGuard guard) {
        if (!Files.exists(path)) {
            return Optional.empty();
        }
        try (InputStream in = new BufferedInputStream(Files.newInputStream(path))) {
            return Optional.of(read(guard, in));
        } catch (IOException | RuntimeException e) {
            Path aside = path.resolveSibling(path.getFileName() + ".corrupt-" + guard.time().millis());
            try {
                Files.move(path, aside, StandardCopyOption.REPLACE_EXISTING);
                LOG.error("outbound state {} is unreadable ({}); moved aside to {} and starting without its profiles",
                        path, e.toString(), aside);
            } catch (IOException moveFailed) {
                LOG.error("outbound state {} is unreadable ({}) and could not be moved aside ({}); starting without "
                        + "its profiles", path, e.toString(), moveFailed.toString());
            }
            return Optional.empty();
        }
    }

    /**
     * Reads a whole file first (nothing is imported from a file that fails its checks), then adds its profiles and
     * suspensions to {@code guard}'s current store.
     */
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
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(body));
        int n = count(in.readInt());
        java.util.Map<String, SenderProfile> profiles = new java.util.LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            String key = in.readUTF();
            profiles.put(key, OutboundState.readProfile(in));
        }
        int m = count(in.readInt());
        java.util.List<Suspended> suspensions = new java.util.ArrayList<>();
        for (int i = 0; i < m; i++) {
            suspensions.add(OutboundState.readSuspension(in));
        }
        if (in.available() > 0) {
            throw new IOException(in.available() + " bytes left after the state");
        }
        long now = guard.time().millis();
        long expiry = guard.currentRules().config().outbound().profileExpiry().toMillis();
        StateTable<SenderProfile> profileTable = guard.profileTable();
        int restored = 0;
        for (java.util.Map.Entry<String, SenderProfile> e : profiles.entrySet()) {
            if (now - e.getValue().lastSeenMillis <= expiry && profileTable.get(e.getKey()) == null) {
                profileTable.put(e.getKey(), e.getValue());
                restored++;
            }
        }
        StateTable<Suspended> suspensionTable = guard.suspensionTable();
        int suspended = 0;
        for (Suspended s : suspensions) {
            if (suspensionTable.get(s.subject) == null) {
                suspensionTable.put(s.subject, s);
                suspended++;
            }
        }
        return new Counts(restored, suspended);
    }

    private static int count(int n) throws IOException {
        if (n < 0 || n > 50_000_000) {
            throw new IOException("bad count " + n);
        }
        return n;
    }
}
