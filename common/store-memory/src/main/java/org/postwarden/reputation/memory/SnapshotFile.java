package org.postwarden.reputation.memory;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.Optional;

/**
 * Saves and loads a {@link StoreSnapshot} file: written to a temporary file in the same directory, forced to disk,
 * atomically renamed over the old one, then the directory forced (so the rename itself survives a power loss). A
 * snapshot that cannot be read is moved aside ({@code NAME.corrupt-TIMESTAMP}, never overwritten) with a log line;
 * {@link #restore} says so, and the daemon decides what that means for readiness ({@code store.on-corrupt}). File
 * I/O: call off event loops.
 */
public final class SnapshotFile {
    private static final Logger LOG = LoggerFactory.getLogger(SnapshotFile.class);
    private final Path path;

    /**
     * What a start found.
     *
     * @param counts  what the snapshot held (empty when there was none, or it was corrupt)
     * @param corrupt why the snapshot could not be read (empty when it could, or there was none)
     * @param aside   where the unreadable snapshot was moved (empty when it was not)
     */
    public record Loaded(Optional<StoreSnapshot.Counts> counts, Optional<String> corrupt, Optional<Path> aside) {
    }

    public SnapshotFile(Path path) {
        this.path = path;
    }

    public Path path() {
        return path;
    }

    /** Writes the store atomically. */
    public synchronized StoreSnapshot.Counts save(MemoryReputationStore store) throws IOException {
        Path dir = path.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = dir.resolve(path.getFileName() + ".tmp");
        StoreSnapshot.Counts counts;
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING);
             OutputStream out = new BufferedOutputStream(java.nio.channels.Channels.newOutputStream(ch), 1 << 16)) {
            counts = StoreSnapshot.write(store, out);
            out.flush();
            ch.force(true);
        }
        try {
            Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING);
        }
        forceDirectory(dir);
        return counts;
    }

    /**
     * Forces {@code dir}'s entries (a rename in it) to disk. A file system that cannot open a directory for that
     * (not Linux) is skipped: the rename is then as durable as that file system makes it.
     */
    static void forceDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            if (Files.isDirectory(dir) && !System.getProperty("os.name", "").startsWith("Linux")) {
                return;
            }
            throw e;
        }
    }

    /** The journal kept beside this snapshot: {@code PATH.journal}. */
    public Path journalPath() {
        return path.resolveSibling(path.getFileName() + ".journal");
    }

    /**
     * Restores the snapshot into {@code store}. Returns empty when there is no file, or when it was corrupt (then
     * it has been moved aside and logged).
     */
    public synchronized Optional<StoreSnapshot.Counts> load(MemoryReputationStore store) {
        return restore(store).counts();
    }

    /**
     * Restores the snapshot into {@code store} and says what happened: restored, none there, or corrupt (then moved
     * aside, and nothing of it is in {@code store}).
     */
    public synchronized Loaded restore(MemoryReputationStore store) {
        if (!Files.exists(path)) {
            LOG.info("no state snapshot at {}; starting with an empty store", path);
            return new Loaded(Optional.empty(), Optional.empty(), Optional.empty());
        }
        try (InputStream in = new BufferedInputStream(Files.newInputStream(path), 1 << 16)) {
            return new Loaded(Optional.of(StoreSnapshot.read(store, in)), Optional.empty(), Optional.empty());
        } catch (IOException | RuntimeException e) {
            Path aside = path.resolveSibling(path.getFileName() + ".corrupt-" + Instant.now().toEpochMilli());
            try {
                Files.move(path, aside, StandardCopyOption.REPLACE_EXISTING);
                forceDirectory(aside.toAbsolutePath().getParent());
                LOG.error("state snapshot {} is unreadable ({}); moved aside to {}", path, e.toString(), aside);
                return new Loaded(Optional.empty(), Optional.of(e.toString()), Optional.of(aside));
            } catch (IOException moveFailed) {
                LOG.error("state snapshot {} is unreadable ({}) and could not be moved aside ({})",
                        path, e.toString(), moveFailed.toString());
                return new Loaded(Optional.empty(), Optional.of(e.toString()), Optional.empty());
            }
        }
    }
}
