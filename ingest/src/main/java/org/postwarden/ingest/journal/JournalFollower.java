package org.postwarden.ingest.journal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.postwarden.config.PostwardenConfig;
import org.postwarden.ingest.IngestPipeline;
import org.postwarden.ingest.parse.LogEvent;
import org.postwarden.ingest.parse.LogLineParser;
import org.postwarden.text.LogSafe;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Follows the systemd journal through {@code journalctl --follow --output=json}: one JSON entry per line, each
 * accepted only when journald's trusted fields -- which the writing process cannot set -- say a Postfix or Dovecot
 * process wrote it: {@code _SYSTEMD_UNIT} matches one of {@code units}, {@code _COMM} is one of {@code commands},
 * {@code _UID} one of {@code uids} (each check only when its list is not empty). The program for the parsers is
 * {@code SYSLOG_IDENTIFIER} (e.g. {@code postfix/submission/smtpd}), else {@code _COMM}. The last entry's
 * {@code __CURSOR} is kept in the cursor file; the next run resumes with {@code --after-cursor} (the first run, with
 * no cursor, starts at the end: {@code --lines=0}).
 *
 * <p>Threads: {@link #runOnce} blocks on journalctl's output; it runs on the ingest journal thread, never on an
 * event loop. {@link #close} may be called from another thread. Known limits: an entry longer than the line cap
 * is skipped (counted); entries journald rotated away while Postwarden was down are lost, as journalctl reports.
 */
public final class JournalFollower implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(JournalFollower.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern CURSOR = Pattern.compile("[A-Za-z0-9=;_-]{1,512}");
    private static final String SOURCE = "journal";
    private static final long SAVE_EVERY_MILLIS = 5_000;
    private final PostwardenConfig.Journal config;
    private final IngestPipeline pipeline;
    private final LogLineParser parser;
    private final Path cursorFile;
    private final int maxJsonLine;
    private final List<Pattern> units;
    private final Set<String> commands;
    private final Set<Long> uids;
    private volatile String cursor;
    private volatile String savedCursor;
    private volatile Process process;
    private volatile boolean closed;
    private long lastSave;

    /**
     * @param cursorFile where the cursor is kept, or null to always start at the end
     */
    public JournalFollower(PostwardenConfig.Journal config, int maxLineLength, Path cursorFile,
            IngestPipeline pipeline) {
        this.config = config;
        this.pipeline = pipeline;
        this.parser = pipeline.parser();
        this.cursorFile = cursorFile;
        this.maxJsonLine = maxLineLength * 8 + 16_384;
        this.units = config.units().stream().map(JournalFollower::glob).toList();
        this.commands = Set.copyOf(config.commands());
        this.uids = Set.copyOf(config.uids());
        this.cursor = loadCursor(cursorFile);
        this.savedCursor = cursor;
    }

    /** The command line of the next run. */
    public List<String> command() {
        List<String> cmd = new ArrayList<>(config.command());
        cmd.addAll(List.of("--follow", "--output=json", "--no-pager"));
        for (String u : config.units()) {
            cmd.add("-u");
            cmd.add(u);
        }
        String c = cursor;
        cmd.add(c == null ? "--lines=0" : "--after-cursor=" + c);
        return cmd;
    }

    /** The cursor of the last entry read (null before the first). */
    public String cursor() {
        return cursor;
    }

    /**
     * Runs journalctl once, reading its entries until it exits (or {@link #close}), then saves the cursor.
     *
     * @return journalctl's exit status, -1 when stopped by {@link #close}
     */
    public int runOnce() throws IOException, InterruptedException {
        if (closed) {
            return -1;
        }
        ProcessBuilder pb = new ProcessBuilder(command()).redirectInput(ProcessBuilder.Redirect.from(
                new File("/dev/null"))).redirectError(ProcessBuilder.Redirect.INHERIT);
        Process p = pb.start();
        process = p;
        try (Reader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8),
                65_536)) {
            StringBuilder line = new StringBuilder();
            boolean skipping = false;
            int ch;
            while ((ch = in.read()) >= 0) {
                if (ch == '\n') {
                    if (skipping) {
                        pipeline.rejected(SOURCE, "too-long");
                    } else {
                        entry(line.toString());
                    }
                    line.setLength(0);
                    skipping = false;
                } else if (!skipping) {
                    if (line.length() >= maxJsonLine) {
                        skipping = true;
                        line.setLength(0);
                    } else {
                        line.append((char) ch);
                    }
                }
            }
        } catch (IOException e) {
            if (!closed) {
                throw e;
            }
        } finally {
            saveCursor();
        }
        int exit = p.waitFor();
        return closed ? -1 : exit;
    }

    /** Handles one JSON entry. */
    void entry(String json) {
        if (json.isBlank()) {
            return;
        }
        JsonNode n;
        try {
            n = JSON.readTree(json);
        } catch (IOException e) {
            pipeline.rejected(SOURCE, "malformed");
            return;
        }
        if (n == null || !n.isObject()) {
            pipeline.rejected(SOURCE, "malformed");
            return;
        }
        String c = n.path("__CURSOR").asText("");
        if (!c.isEmpty() && CURSOR.matcher(c).matches()) {
            cursor = c;
        }
        if (!trusted(n)) {
            pipeline.rejected(SOURCE, "untrusted");
            return;
        }
        String program = text(n.get("SYSLOG_IDENTIFIER"));
        if (program == null || program.isEmpty()) {
            program = text(n.get("_COMM"));
        }
        String message = text(n.get("MESSAGE"));
        if (message == null || parser.tooLong(message)) {
            pipeline.rejected(SOURCE, message == null ? "malformed" : "too-long");
            return;
        }
        LogEvent e = parser.parse(program, message);
        long micros = n.path("__REALTIME_TIMESTAMP").asLong(-1);
        pipeline.accept(SOURCE, e == null ? null : e.at(micros > 0 ? micros / 1000 : -1));
        long now = System.currentTimeMillis();
        if (now - lastSave >= SAVE_EVERY_MILLIS) {
            lastSave = now;
            saveCursor();
        }
    }

    /** Whether journald's own fields say a Postfix or Dovecot process wrote the entry. */
    boolean trusted(JsonNode n) {
        if (!units.isEmpty()) {
            String unit = text(n.get("_SYSTEMD_UNIT"));
            if (unit == null || units.stream().noneMatch(u -> u.matcher(unit).matches())) {
                return false;
            }
        }
        if (!commands.isEmpty()) {
            String comm = text(n.get("_COMM"));
            if (comm == null || !commands.contains(comm)) {
                return false;
            }
        }
        if (!uids.isEmpty()) {
            String uid = text(n.get("_UID"));
            try {
                return uid != null && uids.contains(Long.parseLong(uid));
            } catch (NumberFormatException e) {
                return false;
            }
        }
        return true;
    }

    /** A field's text; journald writes non-UTF-8 values as arrays of byte values. */
    private static String text(JsonNode v) {
        if (v == null || v.isNull()) {
            return null;
        }
        if (v.isArray()) {
            byte[] b = new byte[v.size()];
            for (int i = 0; i < b.length; i++) {
                b[i] = (byte) v.get(i).asInt();
            }
            return new String(b, StandardCharsets.UTF_8);
        }
        return v.asText();
    }

    /** Writes the cursor atomically when it moved (no-op without a cursor file). */
    public void saveCursor() {
        String c = cursor;
        if (cursorFile == null || c == null || c.equals(savedCursor)) {
            return;
        }
        try {
            Path dir = cursorFile.toAbsolutePath().getParent();
            if (dir != null) {
                Files.createDirectories(dir);
            }
            Path tmp = cursorFile.resolveSibling(cursorFile.getFileName() + ".tmp");
            Files.writeString(tmp, c + "\n", StandardCharsets.UTF_8);
            Files.move(tmp, cursorFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            savedCursor = c;
        } catch (IOException e) {
            LOG.warn("cannot save the journal cursor to {}: {}", cursorFile, e.toString());
        }
    }

    private static String loadCursor(Path file) {
        if (file == null || !Files.exists(file)) {
            return null;
        }
        try {
            String c = Files.readString(file, StandardCharsets.UTF_8).strip();
            if (CURSOR.matcher(c).matches()) {
                return c;
            }
            LOG.warn("ignoring the journal cursor in {}: not a journald cursor ({}); starting at the end", file,
                    LogSafe.escape(c, 80));
        } catch (IOException e) {
            LOG.warn("cannot read the journal cursor {}: {}; starting at the end", file, e.toString());
        }
        return null;
    }

    /** A unit glob ({@code *}, {@code ?}) as a pattern. */
    static Pattern glob(String g) {
        StringBuilder re = new StringBuilder();
        for (char c : g.toCharArray()) {
            switch (c) {
                case '*' -> re.append(".*");
                case '?' -> re.append('.');
                default -> re.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return Pattern.compile(re.toString());
    }

    /** Stops the running journalctl (its reader then ends) and every later run. */
    @Override
    public void close() {
        closed = true;
        Process p = process;
        if (p != null) {
            p.destroy();
        }
    }
}
