package org.postwarden.ingest;

import org.postwarden.config.PostwardenConfig;
import org.postwarden.ingest.journal.JournalFollower;
import org.postwarden.ingest.source.FileFollower;
import org.postwarden.ingest.source.Offsets;
import org.postwarden.ingest.syslog.SyslogReceiver;
import org.postwarden.runtime.DaemonContext;
import org.postwarden.runtime.Listener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Log ingestion inside the daemon: followed files and Docker logs (on one thread of their own, polled every
 * {@code ingest.poll-interval}), the syslog receiver (Netty), all feeding one {@link IngestPipeline} into the engine
 * ({@code observe} for signals, {@code delivered} for delivery results). Sources are fixed at start; weights,
 * thresholds and lists follow reloads (the engine applies the rules in force for every line).
 */
public final class LogIngestListener implements Listener {
    private static final Logger LOG = LoggerFactory.getLogger(LogIngestListener.class);
    private static final long SAVE_EVERY_MILLIS = 5_000;
    private static final int MAX_ROUNDS = 16;
    private final DaemonContext context;
    private final PostwardenConfig.Ingest config;
    private final List<FileFollower> followers = new ArrayList<>();
    private Offsets offsets;
    private ScheduledExecutorService files;
    private SyslogReceiver syslog;
    private JournalFollower journal;
    private Thread journalThread;
    private long lastSave;

    public LogIngestListener(DaemonContext context) {
        this.context = context;
        this.config = context.startConfig().ingest();
    }

    /** Whether {@code c} asks for any log source. */
    static boolean wanted(PostwardenConfig c) {
        PostwardenConfig.Ingest i = c.ingest();
        return !i.files().isEmpty() || !i.dockerJson().isEmpty() || i.syslog().enabled() || i.journal().enabled();
    }

    @Override
    public String name() {
        return "ingest";
    }

    @Override
    public void start() {
        IngestMetrics metrics = new IngestMetrics(context.metrics().registry());
        IngestPipeline pipeline = new IngestPipeline(context.engine(), context.time(), config.maxLineAge(),
                config.maxLineLength(), metrics, config.programNames());
        offsets = config.statePath().isBlank() ? Offsets.none() : Offsets.load(Path.of(config.statePath()));
        config.files().forEach(f -> followers.add(new FileFollower(Path.of(f), false, config.maxLineLength(),
                pipeline.sink("file"), offsets)));
        config.dockerJson().forEach(f -> followers.add(new FileFollower(Path.of(f), true, config.maxLineLength(),
                pipeline.sink("docker"), offsets)));
        followers.forEach(FileFollower::start);
        if (!followers.isEmpty()) {
            files = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "postwarden-ingest-files");
                t.setDaemon(true);
                return t;
            });
            long every = config.pollInterval().toMillis();
            files.scheduleWithFixedDelay(this::pollAll, 0, every, TimeUnit.MILLISECONDS);
        }
        if (config.syslog().enabled()) {
            syslog = new SyslogReceiver(config.syslog(), pipeline);
            syslog.start();
            if (syslog.inputBudget() != null) {
                syslog.inputBudget().register(context.metrics());
            }
        }
        if (config.journal().enabled()) {
            PostwardenConfig.Journal j = config.journal();
            journal = new JournalFollower(j, config.maxLineLength(),
                    j.cursorPath().isBlank() ? null : Path.of(j.cursorPath()), pipeline);
            journalThread = new Thread(() -> followJournal(j.restartDelay()), "postwarden-ingest-journal");
            journalThread.setDaemon(true);
            journalThread.start();
        }
    }

    /**
     * Runs journalctl again and again (after {@code delay}) until stopped, resuming from its cursor; an exit is
     * logged once, not again until a run has read entries.
     */
    private void followJournal(Duration delay) {
        boolean quiet = false;
        while (!Thread.currentThread().isInterrupted()) {
            try {
                String before = journal.cursor();
                int exit = journal.runOnce();
                if (exit == -1) {
                    return; // stopped
                }
                if (!java.util.Objects.equals(before, journal.cursor())) {
                    quiet = false; // it had been reading: this exit is news
                }
                if (!quiet) {
                    LOG.warn("journalctl exited with {} ({}); running it again every {} from cursor {}", exit,
                            String.join(" ", journal.command()), delay, journal.cursor());
                }
                quiet = true;
            } catch (java.io.IOException e) {
                if (!quiet) {
                    LOG.warn("cannot run journalctl ({}): {}; trying again every {}", String.join(" ",
                            journal.command()), e.toString(), delay);
                }
                quiet = true;
            } catch (InterruptedException e) {
                return;
            }
            try {
                Thread.sleep(delay.toMillis());
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** One round over every followed file (more rounds while one still has data), then saves offsets now and then. */
    private void pollAll() {
        try {
            for (int round = 0; round < MAX_ROUNDS; round++) {
                boolean more = false;
                for (FileFollower f : followers) {
                    more |= f.poll();
                }
                if (!more) {
                    break;
                }
            }
            long now = System.currentTimeMillis();
            if (now - lastSave >= SAVE_EVERY_MILLIS) {
                lastSave = now;
                offsets.save();
            }
        } catch (RuntimeException e) {
            LOG.error("log ingestion round failed", e);
        }
    }

    @Override
    public void stop(Duration grace) {
        if (syslog != null) {
            syslog.stop(grace);
        }
        if (files != null) {
            Listener.shutdown(files, grace);
        }
        followers.forEach(FileFollower::close);
        if (offsets != null) {
            offsets.save();
        }
        if (journal != null) {
            journal.close();
            journalThread.interrupt();
            try {
                journalThread.join(grace.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            journal.saveCursor();
        }
    }

    /** The syslog receiver, or null when it is off or not started (for tests). */
    public SyslogReceiver syslog() {
        return syslog;
    }

    @Override
    public String address() {
        List<String> parts = new ArrayList<>();
        if (!config.files().isEmpty()) {
            parts.add("files " + config.files());
        }
        if (!config.dockerJson().isEmpty()) {
            parts.add("docker " + config.dockerJson());
        }
        if (syslog != null) {
            parts.add(syslog.describe());
        }
        if (journal != null) {
            parts.add("journal " + String.join(" ", journal.command()));
        }
        return String.join(", ", parts);
    }
}
