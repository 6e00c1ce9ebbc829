package org.postwarden.outbound.alert;

import org.postwarden.text.LogSafe;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Reads a child process's standard error to its end on a thread of its own, keeping only its first
 * {@value #KEEP} bytes: the child never blocks on a full pipe, and memory stays bounded whatever it writes.
 * Thread-safe.
 */
final class StderrDrain {
    static final int KEEP = 4096;

    private final byte[] head = new byte[KEEP];
    private int length; // guarded by this
    private final CompletableFuture<Void> ended = new CompletableFuture<>();

    private StderrDrain() {
    }

    /** Starts draining {@code err} (closed at its end) on a daemon thread named {@code threadName}. */
    static StderrDrain start(InputStream err, String threadName) {
        StderrDrain d = new StderrDrain();
        Thread.ofPlatform().daemon().name(threadName).start(() -> d.drain(err));
        return d;
    }

    private void drain(InputStream err) {
        byte[] buf = new byte[8192];
        try (err) {
            int n;
            while ((n = err.read(buf)) >= 0) {
                keep(buf, n);
            }
        } catch (IOException e) {
            // the pipe broke: what was read so far is all there is
        } finally {
            ended.complete(null);
        }
    }

    private synchronized void keep(byte[] buf, int n) {
        int k = Math.min(n, KEEP - length);
        if (k > 0) {
            System.arraycopy(buf, 0, head, length, k);
            length += k;
        }
    }

    /**
     * The first line written (escaped, at most 200 characters), once the stream ended or {@code graceMillis} passed,
     * whichever comes first (a child that exited may leave a process of its own holding the stream open).
     */
    CompletableFuture<String> firstLine(long graceMillis) {
        return ended.copy().completeOnTimeout(null, graceMillis, TimeUnit.MILLISECONDS).thenApply(v -> firstLine());
    }

    private String firstLine() {
        byte[] b;
        synchronized (this) {
            b = Arrays.copyOf(head, length);
        }
        String s = new String(b, StandardCharsets.UTF_8).strip();
        int nl = s.indexOf('\n');
        return LogSafe.escape(nl < 0 ? s : s.substring(0, nl), 200);
    }
}
