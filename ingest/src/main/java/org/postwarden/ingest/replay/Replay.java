package org.postwarden.ingest.replay;

import org.postwarden.api.Engine;
import org.postwarden.api.EngineFactory;
import org.postwarden.config.PostwardenConfig;
import org.postwarden.ingest.parse.LogEvent;
import org.postwarden.ingest.parse.LogLineParser;
import org.postwarden.ingest.parse.Timestamps;
import org.postwarden.ingest.source.DockerJsonDecoder;
import org.postwarden.ingest.source.LineSplitter;
import org.postwarden.model.ManualTimeSource;
import org.postwarden.model.TimeSource;

import java.io.BufferedInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.zip.GZIPInputStream;

/**
 * {@code postwarden replay FILE...}: reads old logs (plain, gzip, Docker json-file; recognised by content, not by name)
 * through the same parsers and the same {@link SignalRecorder} as the daemon, on a fresh in-memory store whose clock
 * follows the lines' own time stamps, so scores decay and bans expire and escalate as they would have. The result is
 * a {@link ReplayReport}. Files are read oldest first (by modification time), so {@code mail.log.2.gz mail.log.1
 * mail.log} may be given in any order. No DNS: research scanners are not looked up in a replay.
 *
 * <p>Progress ("replay: FILE 42% ...") goes to the given consumer about once a second for files over 16 MiB.
 * Single-threaded; one replay per instance.
 */
public final class Replay {
    private static final long PROGRESS_MIN_BYTES = 16L << 20;
    private static final long PROGRESS_EVERY_NANOS = 1_000_000_000L;
    private final PostwardenConfig config;
    private final EngineFactory engines;
    private final Consumer<String> progress;
    private final ZoneId zone;
    private final TimeSource clock;

    /**
     * @param config   the configuration whose weights, thresholds and lists are simulated
     * @param progress where progress lines go, or null for none
     */
    public Replay(PostwardenConfig config, EngineFactory engines, Consumer<String> progress) {
        this(config, engines, progress, ZoneId.systemDefault(), TimeSource.SYSTEM);
    }

    /** With the zone of classic time stamps and the clock that anchors their year (tests). */
    public Replay(PostwardenConfig config, EngineFactory engines, Consumer<String> progress, ZoneId zone,
            TimeSource clock) {
        this.config = config;
        this.engines = engines;
        this.progress = progress;
        this.zone = zone;
        this.clock = clock;
    }

    public ReplayReport run(List<Path> files) throws IOException {
        long t0 = System.nanoTime();
        ManualTimeSource time = new ManualTimeSource(0);
        ReplayReport report = new ReplayReport(config, zone);
        Engine engine = engines.create(config, time, report);
        List<Path> ordered = new ArrayList<>(files);
        ordered.sort(Comparator.comparingLong(Replay::modified));
        for (Path f : ordered) {
            report.files.add(f.toString());
            file(f, time, engine, report);
        }
        report.elapsedNanos = System.nanoTime() - t0;
        return report;
    }

    private static long modified(Path p) {
        try {
            return Files.getLastModifiedTime(p).toMillis();
        } catch (IOException e) {
            return Long.MAX_VALUE;
        }
    }

    private void file(Path path, ManualTimeSource time, Engine engine, ReplayReport report)
            throws IOException {
        long size = Files.size(path);
        int maxLine = config.ingest().maxLineLength();
        LogLineParser parser = new LogLineParser(maxLine, new Timestamps(zone, clock), config.ingest().programNames());
        try (CountingStream counting = new CountingStream(Files.newInputStream(path))) {
            BufferedInputStream buffered = new BufferedInputStream(counting, 1 << 16);
            buffered.mark(4);
            int b0 = buffered.read();
            int b1 = buffered.read();
            buffered.reset();
            InputStream in = b0 == 0x1f && b1 == 0x8b ? new BufferedInputStream(new GZIPInputStream(buffered, 1 << 16),
                    1 << 16) : buffered;
            in.mark(4096);
            byte[] peek = in.readNBytes(4096);
            in.reset();
            boolean docker = firstNonBlank(peek) == '{';
            DockerJsonDecoder decoder = docker ? new DockerJsonDecoder(maxLine) : null;
            LineSplitter splitter = new LineSplitter(docker ? 4 * maxLine + 256 : maxLine, new LineSplitter.Lines() {
                @Override
                public void line(String line) {
                    report.lines++;
                    long fallback = -1;
                    String text = line;
                    if (decoder != null) {
                        switch (decoder.decode(line)) {
                            case LINE -> {
                                text = decoder.line();
                                fallback = decoder.time();
                            }
                            case MALFORMED -> {
                                report.malformed++;
                                return;
                            }
                            case TOO_LONG -> {
                                report.tooLong++;
                                return;
                            }
                            case PARTIAL -> {
                                return;
                            }
                        }
                    }
                    if (parser.tooLong(text)) {
                        report.tooLong++;
                        return;
                    }
                    LogEvent e = parser.parse(text);
                    if (e == null) {
                        report.ignored++;
                        return;
                    }
                    long at = e.timeMillis() >= 0 ? e.timeMillis() : fallback;
                    if (at > time.millis()) {
                        time.set(at);
                    }
                    report.event(e, at >= 0 ? at : time.millis());
                    engine.observe(e.toSignal());
                }

                @Override
                public void tooLong() {
                    report.lines++;
                    report.tooLong++;
                }
            });
            byte[] buf = new byte[1 << 16];
            long nextProgress = System.nanoTime() + PROGRESS_EVERY_NANOS;
            long start = System.nanoTime();
            long linesAtStart = report.lines;
            int n;
            while ((n = in.read(buf)) > 0) {
                splitter.feed(buf, 0, n);
                if (progress != null && size >= PROGRESS_MIN_BYTES && System.nanoTime() >= nextProgress) {
                    nextProgress = System.nanoTime() + PROGRESS_EVERY_NANOS;
                    double secs = (System.nanoTime() - start) / 1e9;
                    progress.accept(String.format(Locale.ROOT, "replay: %s %d%% (%,d lines, %,.0f lines/s)",
                            path.getFileName(), Math.min(100, counting.count * 100 / Math.max(1, size)),
                            report.lines - linesAtStart, (report.lines - linesAtStart) / Math.max(secs, 1e-9)));
                }
            }
            splitter.flush();
            report.bytes += counting.count;
        }
    }

    private static int firstNonBlank(byte[] b) {
        for (byte x : b) {
            if (x != ' ' && x != '\t' && x != '\r' && x != '\n') {
                return x;
            }
        }
        return -1;
    }

    /** Counts bytes read from the file itself (compressed bytes for .gz), for progress. */
    private static final class CountingStream extends FilterInputStream {
        long count;

        CountingStream(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                count++;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                count += n;
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            long s = super.skip(n);
            count += Math.max(0, s);
            return s;
        }
    }
}
