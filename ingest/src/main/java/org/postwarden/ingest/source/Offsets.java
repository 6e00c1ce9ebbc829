package org.postwarden.ingest.source;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where each followed file was left: its identity (device and inode, as {@code BasicFileAttributes.fileKey()}
 * prints it) and the byte offset after its last complete line. Kept in a small text file, one file per line
 * ({@code OFFSET<TAB>FILE-ID<TAB>PATH}), written atomically (temporary file, then rename). With no path, nothing is
 * kept and every start begins at the end of the files. Thread-safe.
 */
public final class Offsets {
    private static final Logger LOG = LoggerFactory.getLogger(Offsets.class);
    private static final int MAX_BYTES = 1 << 20;

    /** A file's saved position. */
    public record Entry(String fileId, long offset) {
    }

    private final Path file;
    private final Map<String, Entry> entries = new LinkedHashMap<>();
    private boolean dirty;

    private Offsets(Path file) {
        this.file = file;
    }

    /** No persistence. */
    public static Offsets none() {
        return new Offsets(null);
    }

    /** Loads {@code file} (missing or unreadable: starts empty, with a log line for the latter). */
    public static Offsets load(Path file) {
        Offsets o = new Offsets(file);
        if (file == null || !Files.exists(file)) {
            return o;
        }
        try {
            if (Files.size(file) > MAX_BYTES) {
                throw new IOException("larger than " + MAX_BYTES + " bytes");
            }
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            for (String l : lines) {
                if (l.isBlank() || l.startsWith("#")) {
                    continue;
                }
                String[] f = l.split("\t", 3);
                if (f.length == 3) {
                    try {
                        o.entries.put(f[2], new Entry(f[1], Long.parseLong(f[0])));
                    } catch (NumberFormatException e) {
                        // skip the line
                    }
                }
            }
        } catch (IOException e) {
            LOG.warn("cannot read ingest offsets {} ({}); files are read from their end", file, e.toString());
        }
        return o;
    }

    public synchronized Entry get(String path) {
        return entries.get(path);
    }

    public synchronized void put(String path, String fileId, long offset) {
        Entry e = new Entry(fileId, offset);
        if (!e.equals(entries.put(path, e))) {
            dirty = true;
        }
    }

    /** Writes the file when something changed since the last save. File I/O: call off event loops. */
    public void save() {
        String text;
        synchronized (this) {
            if (file == null || !dirty) {
                return;
            }
            StringBuilder sb = new StringBuilder("# postwarden ingest offsets: OFFSET<TAB>FILE-ID<TAB>PATH\n");
            entries.forEach((p, e) -> sb.append(e.offset()).append('\t').append(e.fileId()).append('\t').append(p)
                    .append('\n'));
            text = sb.toString();
            dirty = false;
        }
        try {
            Path dir = file.toAbsolutePath().getParent();
            Files.createDirectories(dir);
            Path tmp = dir.resolve(file.getFileName() + ".tmp");
            Files.writeString(tmp, text, StandardCharsets.UTF_8);
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            synchronized (this) {
                dirty = true;
            }
            LOG.warn("cannot write ingest offsets {}: {}", file, e.toString());
        }
    }
}
