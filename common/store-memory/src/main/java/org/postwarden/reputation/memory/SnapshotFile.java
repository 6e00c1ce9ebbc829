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
 * then atomically renamed over the old one. A snapshot that cannot be read is moved aside
 * ({@code NAME.corrupt-TIMESTAMP}) with a log line and the daemon starts clean. File I/O: call off event loops.
 */
public final class SnapshotFile {
    private static final Logger LOG = LoggerFactory.getLogger(SnapshotFile.class);
    private final Path path;

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
        return counts;
    }

    /**
     * Restores the snapshot into {@code store}. Returns empty when there is no file, or when it was corrupt (then
     * it has been moved aside and logged).
     */
    public synchronized Optional<StoreSnapshot.Counts> load(MemoryReputationStore store) {
        if (!Files.exists(path)) {
            LOG.info("no state snapshot at {}; starting with an empty store", path);
            return Optional.empty();
        }
        try (InputStream in = new BufferedInputStream(Files.newInputStream(path), 1 << 16)) {
            return Optional.of(StoreSnapshot.read(store, in));
        } catch (IOException | RuntimeException e) {
            Path aside = path.resolveSibling(path.getFileName() + ".corrupt-" + Instant.now().toEpochMilli());
            try {
                Files.move(path, aside, StandardCopyOption.REPLACE_EXISTING);
                LOG.error("state snapshot {} is unreadable ({}); moved aside to {} and starting clean", path,
                        e.toString(), aside);
            } catch (IOException moveFailed) {
                LOG.error("state snapshot {} is unreadable ({}) and could not be moved aside ({}); starting clean",
                        path, e.toString(), moveFailed.toString());
            }
            return Optional.empty();
        }
    }
}
