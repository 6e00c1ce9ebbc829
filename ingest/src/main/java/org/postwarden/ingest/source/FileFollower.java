package org.postwarden.ingest.source;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Objects;

/**
 * Follows one log file like {@code tail -F}, driven by {@link #poll()} (the listener calls it on its own thread, every
 * {@code ingest.poll-interval}; tests call it directly, so they never sleep).
 *
 * <ul>
 * <li>Start: from the saved offset when the file is still the same (same device and inode, at least that long); from
 * the beginning when it was replaced or truncated while we were away; from its end the first time (no saved
 * offset); a file that does not exist yet is read from its beginning once it appears.</li>
 * <li>Rotation (rename, then a new file under the name): the old file is read to its end first, including a last line
 * without newline, then the new one from its beginning.</li>
 * <li>Truncation (copytruncate: the file became shorter than what was read): read again from the beginning. A file
 * truncated and refilled past the old size between two polls is not noticed (known limit of size-based detection).</li>
 * <li>Bounds: a line over the limit is skipped to its newline and reported; at most {@value #MAX_BYTES_PER_POLL} bytes
 * are read per poll, so several followers share their thread fairly ({@link #poll()} says when there is more).</li>
 * </ul>
 * Not thread-safe: one thread polls.
 */
public final class FileFollower implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(FileFollower.class);
    static final int MAX_BYTES_PER_POLL = 8 << 20;
    private static final long WARN_EVERY_NANOS = 60_000_000_000L;

    private final Path path;
    private final String key;
    private final Offsets offsets;
    private final LineSink sink;
    private final LineSplitter splitter;
    private final DockerJsonDecoder docker;
    private final byte[] buffer = new byte[64 * 1024];
    private FileChannel channel;
    private Object fileId;
    private long base;
    private long readPos;
    private boolean started;
    private int delivered;
    private long lastWarn = System.nanoTime() - WARN_EVERY_NANOS;

    /**
     * @param path          the file
     * @param dockerJson    whether lines are Docker json-file entries
     * @param maxLineLength longest line (of log text) accepted
     * @param sink          where lines go
     * @param offsets       saved positions (read at the first poll, updated after every poll)
     */
    public FileFollower(Path path, boolean dockerJson, int maxLineLength, LineSink sink, Offsets offsets) {
        this.path = path;
        this.key = path.toAbsolutePath().normalize().toString();
        this.offsets = offsets;
        this.sink = sink;
        this.docker = dockerJson ? new DockerJsonDecoder(maxLineLength) : null;
        int splitLimit = dockerJson ? 4 * maxLineLength + 256 : maxLineLength;
        this.splitter = new LineSplitter(splitLimit, new LineSplitter.Lines() {
            @Override
            public void line(String line) {
                deliver(line);
            }

            @Override
            public void tooLong() {
                sink.rejected("too-long");
            }
        });
    }

    public Path path() {
        return path;
    }

    /** Offset after the last complete line read (what is saved). */
    public long position() {
        return base + splitter.consumed();
    }

    private void deliver(String line) {
        delivered++;
        if (docker == null) {
            sink.line(line, -1);
            return;
        }
        switch (docker.decode(line)) {
            case LINE -> sink.line(docker.line(), docker.time());
            case MALFORMED -> sink.rejected("malformed");
            case TOO_LONG -> sink.rejected("too-long");
            case PARTIAL -> {
                // joined with the next entries
            }
        }
    }

    /**
     * Reads what is new and delivers it. Returns true when it stopped at its per-poll byte budget (call again soon).
     * Never throws: I/O problems are logged (at most once a minute) and retried at the next poll.
     */
    public boolean poll() {
        delivered = 0;
        try {
            return doPoll();
        } catch (IOException | RuntimeException e) {
            warn("cannot read " + path + ": " + e);
            closeChannel();
            return false;
        } finally {
            if (channel != null && fileId != null) {
                offsets.put(key, fileId.toString(), position());
            }
        }
    }

    /** Lines delivered by the last {@link #poll()} (for tests and logs). */
    public int delivered() {
        return delivered;
    }

    /**
     * Takes the starting position (see the class comment) without reading anything; {@link #poll()} does it when it
     * has not been done. The listener calls it at start-up, so "from the end" means the end at start-up.
     */
    public void start() {
        if (started) {
            return;
        }
        started = true;
        try {
            BasicFileAttributes now = attributes();
            if (now == null) {
                LOG.info("waiting for {} to appear (it will be read from its beginning)", path);
                return;
            }
            open(now, startOffset(now));
        } catch (IOException | RuntimeException e) {
            warn("cannot open " + path + ": " + e);
            closeChannel();
        }
    }

    private boolean doPoll() throws IOException {
        if (!started) {
            start();
        }
        BasicFileAttributes now = attributes();
        if (channel == null) {
            if (now == null) {
                return false;
            }
            // appeared after start-up (from its beginning), or reopened after an I/O error (where it was left)
            long resume = fileId != null && fileId.equals(now.fileKey()) && now.size() >= position() ? position() : 0;
            open(now, resume);
        } else if (now != null && fileId != null && now.fileKey() != null && !fileId.equals(now.fileKey())) {
            // rotated: finish the old file, then switch
            read(Long.MAX_VALUE);
            splitter.flush();
            LOG.info("{} was rotated; reading the new file from its beginning", path);
            closeChannel();
            open(now, 0);
        } else if (now != null && now.size() < readPos) {
            LOG.info("{} was truncated ({} bytes, had read {}); reading it again from its beginning", path,
                    now.size(), readPos);
            seek(0);
        }
        return read(MAX_BYTES_PER_POLL);
    }

    private BasicFileAttributes attributes() throws IOException {
        try {
            return Files.readAttributes(path, BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    /** Where to start reading a file that existed at start-up. */
    private long startOffset(BasicFileAttributes a) {
        Offsets.Entry saved = offsets.get(key);
        String id = Objects.toString(a.fileKey(), "");
        if (saved == null) {
            LOG.info("following {} from its end ({} bytes; first time)", path, a.size());
            return a.size();
        }
        if (!saved.fileId().equals(id)) {
            LOG.info("{} was replaced while Postwarden was not running; reading it from its beginning", path);
            return 0;
        }
        if (saved.offset() > a.size()) {
            LOG.info("{} was truncated while Postwarden was not running; reading it from its beginning", path);
            return 0;
        }
        LOG.info("following {} from offset {} (where it was left)", path, saved.offset());
        return saved.offset();
    }

    private void open(BasicFileAttributes a, long offset) throws IOException {
        try {
            channel = FileChannel.open(path, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            channel = null;
            return;
        }
        fileId = a.fileKey() == null ? "" : a.fileKey();
        seek(offset);
    }

    private void seek(long offset) {
        base = offset;
        readPos = offset;
        splitter.reset();
    }

    /** Reads from {@code readPos} to the end of file or the budget; returns true when the budget stopped it. */
    private boolean read(long budget) throws IOException {
        if (channel == null) {
            return false;
        }
        long read = 0;
        ByteBuffer bb = ByteBuffer.wrap(buffer);
        while (read < budget) {
            bb.clear();
            int n = channel.read(bb, readPos);
            if (n <= 0) {
                return false;
            }
            readPos += n;
            read += n;
            splitter.feed(buffer, 0, n);
        }
        return true;
    }

    private void warn(String message) {
        long t = System.nanoTime();
        if (t - lastWarn >= WARN_EVERY_NANOS) {
            lastWarn = t;
            LOG.warn(message);
        }
    }

    private void closeChannel() {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                // nothing left to do
            }
            channel = null;
        }
    }

    @Override
    public void close() {
        closeChannel();
    }
}
