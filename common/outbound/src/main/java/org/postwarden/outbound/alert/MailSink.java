package org.postwarden.outbound.alert;

import org.postwarden.config.PostwardenConfig;
import org.postwarden.outbound.Alert;
import org.postwarden.outbound.alert.Delivery.Outcome;
import org.postwarden.text.LogSafe;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The mail channel: each alert as a {@link MailMessage} written to the standard input of
 * {@code outbound.alerts.mail.command} (e.g. {@code sendmail -t -i}; an argv, no shell). Exit status 0 delivers
 * it; one attempt only. The command is killed (with its children) after the mail timeout; its standard output is
 * discarded and its standard error drained by a thread of its own ({@link StderrDrain}), whose first line a failure
 * reports. Its exit is awaited through {@link Process#onExit()}: no thread waits for it. Thread-safe.
 */
final class MailSink implements ChannelSink {
    static final String CHANNEL = "mail";
    private static final Logger LOG = LoggerFactory.getLogger(Alerter.LOGGER);
    /** How long a failed command's standard error may stay open after its exit before its first line is taken. */
    private static final long STDERR_GRACE_MILLIS = 1_000;

    private final ScheduledExecutorService executor;
    private final Duration timeout;

    /** {@code executor} runs the kill timer and the handling of each exit; {@code timeout}: the command's limit. */
    MailSink(ScheduledExecutorService executor, Duration timeout) {
        this.executor = executor;
        this.timeout = timeout;
    }

    @Override
    public Delivery delivery(Alert alert, String kind, PostwardenConfig.Alerts settings) {
        PostwardenConfig.AlertMail m = settings == null ? null : settings.mail();
        if (m == null || m.command() == null || m.command().isEmpty()) {
            return null;
        }
        List<String> command = List.copyOf(m.command());
        return new Delivery() {
            @Override
            public int attempts() {
                return 1;
            }

            @Override
            public Duration retryDelay() {
                return Duration.ZERO;
            }

            @Override
            public CompletableFuture<Outcome> attempt(int n) {
                return send(alert, kind, command, m.to(), m.from());
            }
        };
    }

    private CompletableFuture<Outcome> send(Alert alert, String kind, List<String> command, String to, String from) {
        byte[] message = MailMessage.of(alert, kind, to, from).getBytes(StandardCharsets.UTF_8);
        Process p;
        try {
            p = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        } catch (IOException | RuntimeException e) {
            return CompletableFuture.completedFuture(failed(kind, "cannot start "
                    + LogSafe.escape(command.get(0), 100) + ": " + AlertText.describe(e)));
        }
        StderrDrain stderr = StderrDrain.start(p.getErrorStream(), "postwarden-alert-mail-stderr");
        AtomicBoolean killed = new AtomicBoolean();
        ScheduledFuture<?> killer;
        try {
            killer = executor.schedule(() -> {
                if (p.isAlive()) {
                    killed.set(true);
                    p.descendants().forEach(ProcessHandle::destroyForcibly);
                    p.destroyForcibly();
                }
            }, timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            killer = null;
        }
        String writeError = null;
        try (OutputStream in = p.getOutputStream()) {
            in.write(message); // bounded below the pipe's buffer: does not wait for the reader
        } catch (IOException e) {
            writeError = AlertText.describe(e); // it exited (or closed its input) early: its exit status tells
        }
        ScheduledFuture<?> k = killer;
        String w = writeError;
        CompletableFuture<Outcome> out = new CompletableFuture<>();
        p.onExit().whenComplete((x, e) -> {
            if (k != null) {
                k.cancel(false);
            }
            onExecutor(out, () -> exited(kind, p, killed.get(), w, stderr, out));
        });
        return out;
    }

    private void exited(String kind, Process p, boolean killed, String writeError, StderrDrain stderr,
            CompletableFuture<Outcome> out) {
        if (killed) {
            out.complete(failed(kind, "killed after " + timeout.toMillis() + " ms"));
            return;
        }
        int code = p.exitValue();
        if (code != 0) {
            stderr.firstLine(STDERR_GRACE_MILLIS).whenComplete((line, e) -> onExecutor(out, () ->
                    out.complete(failed(kind, "exit code " + code + ": " + (line == null ? "" : line)))));
            return;
        }
        if (writeError != null) {
            LOG.debug("alert mail command closed its input early ({}) but succeeded", writeError);
        }
        LOG.debug("alert mail for {} handed over", kind);
        out.complete(Outcome.ok());
    }

    private static Outcome failed(String kind, String why) {
        LOG.warn("alert mail for {} failed: {}", LogSafe.escape(kind, 40), why);
        return Outcome.failed();
    }

    /** Runs {@code task} on the executor, or here when it is stopped; a task that throws fails {@code out}. */
    private void onExecutor(CompletableFuture<Outcome> out, Runnable task) {
        Runnable guarded = () -> {
            try {
                task.run();
            } catch (RuntimeException e) {
                out.completeExceptionally(e);
            }
        };
        try {
            executor.execute(guarded);
        } catch (RejectedExecutionException e) {
            guarded.run();
        }
    }
}
