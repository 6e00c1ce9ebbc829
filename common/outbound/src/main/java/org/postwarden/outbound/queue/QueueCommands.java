package org.postwarden.outbound.queue;

import org.postwarden.config.PostwardenConfig;
import org.postwarden.text.LogSafe;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs the Postfix queue commands of {@code outbound.queue}: {@code list-command} ({@code postqueue -j}) and
 * {@code postsuper-command} with {@code -h -}, {@code -H -} or {@code -d -}, the queue ids written one per line on
 * its standard input. Commands are argv lists started without a shell; every queue id is checked first
 * ({@link #isQueueId}) and a bad one is refused with {@link IllegalArgumentException} before anything runs.
 *
 * <p><b>Blocking:</b> every method waits for a process (up to {@code command-timeout}); call them from a worker or
 * scheduler thread, never from an event loop. Standard output and error are read by their own threads (no
 * deadlock on a full pipe); of standard error only the first {@value #STDERR_LINES} lines are kept (each cut at
 * {@value #STDERR_LINE_CHARS} characters). A command still running at the timeout is killed with its child
 * processes.
 *
 * <p>Thread-safe: each call runs its own process; the settings are read once per call, so a reload applies to the
 * next call.
 */
public final class QueueCommands {
    /**
     * Longest queue id accepted. Short ids are 10 to 12 hex digits; long ids are 10 time characters, {@code z} and
     * the inode number in base 51 (at most 12 characters for a 64-bit inode): 23 at most, usually 15 to 17.
     */
    public static final int MAX_QUEUE_ID_LENGTH = 24;
    /** Lines of standard error kept for an error message. */
    static final int STDERR_LINES = 5;
    /** Characters kept of each such line. */
    static final int STDERR_LINE_CHARS = 200;
    private static final int STDERR_LINE_BYTES = 4096;
    private static final long KILL_GRACE_MILLIS = 2_000;

    private final Supplier<PostwardenConfig.Queue> settings;

    /** {@code settings}: the current {@code outbound.queue} settings (read at each call; they change on reload). */
    public QueueCommands(Supplier<PostwardenConfig.Queue> settings) {
        this.settings = settings;
    }

    /** True when {@code id} looks like a Postfix queue id: 1 to {@value #MAX_QUEUE_ID_LENGTH} letters and digits. */
    public static boolean isQueueId(String id) {
        if (id == null || id.isEmpty() || id.length() > MAX_QUEUE_ID_LENGTH) {
            return false;
        }
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            if (!(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9')) {
                return false;
            }
        }
        return true;
    }

    /**
     * Runs {@code list-command} and parses its output ({@link QueueListingParser}, at most {@code max-messages}
     * entries). Blocking.
     *
     * @throws IOException the command could not start, exited non-zero, or ran past {@code command-timeout}
     */
    public QueueListing list() throws IOException {
        PostwardenConfig.Queue q = settings.get();
        QueueListingParser parser = new QueueListingParser(q.maxMessages());
        return run(q.listCommand(), null, parser::parse, q.commandTimeout(), null).stdout();
    }

    /**
     * {@code postsuper -h -}: puts {@code ids} on hold. Blocking.
     *
     * @return how many messages postsuper reports it put on hold (0 when it reports nothing, or for no ids: then
     *         nothing runs)
     * @throws IllegalArgumentException an id is not a queue id (nothing runs)
     * @throws IOException              the command could not start, exited non-zero, or timed out
     */
    public int hold(Collection<String> ids) throws IOException {
        return postsuper("-h", "Placed on hold", ids);
    }

    /** {@code postsuper -H -}: releases {@code ids} from hold; as {@link #hold}, counting "Released from hold". */
    public int release(Collection<String> ids) throws IOException {
        return postsuper("-H", "Released from hold", ids);
    }

    /** {@code postsuper -d -}: deletes {@code ids} from the queue; as {@link #hold}, counting "Deleted". */
    public int delete(Collection<String> ids) throws IOException {
        return postsuper("-d", "Deleted", ids);
    }

    private int postsuper(String option, String reportPrefix, Collection<String> ids) throws IOException {
        List<String> valid = validated(ids);
        if (valid.isEmpty()) {
            return 0;
        }
        PostwardenConfig.Queue q = settings.get();
        List<String> argv = new ArrayList<>(q.postsuperCommand());
        argv.add(option);
        argv.add("-");
        byte[] stdin = (String.join("\n", valid) + "\n").getBytes(StandardCharsets.US_ASCII);
        Pattern report = Pattern.compile(Pattern.quote(reportPrefix) + ": (\\d{1,9}) messages?\\b");
        return run(argv, stdin, QueueCommands::discard, q.commandTimeout(), report).reported();
    }

    private static List<String> validated(Collection<String> ids) {
        Set<String> unique = new LinkedHashSet<>();
        for (String id : ids) {
            if (!isQueueId(id)) {
                throw new IllegalArgumentException("queue id: " + (id == null ? "null" : "'" + LogSafe.escape(id, 40) + "'")
                        + " (expected: 1 to " + MAX_QUEUE_ID_LENGTH + " letters and digits)");
            }
            unique.add(id);
        }
        return List.copyOf(unique);
    }

    private static Void discard(InputStream in) throws IOException {
        in.transferTo(OutputStream.nullOutputStream());
        return null;
    }

    @FunctionalInterface
    private interface StdoutReader<T> {
        T read(InputStream in) throws IOException;
    }

    private record Outcome<T>(T stdout, int reported) {
    }

    private static <T> Outcome<T> run(List<String> argv, byte[] stdin, StdoutReader<T> reader, Duration timeout,
            Pattern report) throws IOException {
        String name = "command " + LogSafe.escape(argv.toString(), 200);
        if (argv.isEmpty()) {
            throw new IOException("queue command is empty (expected: an argv such as [postqueue, -j])");
        }
        Process process;
        try {
            process = new ProcessBuilder(argv).start();
        } catch (IOException | RuntimeException e) {
            throw new IOException(name + " could not be started: " + LogSafe.escape(String.valueOf(e.getMessage()), 200),
                    e);
        }
        StderrHead stderr = new StderrHead(report);
        FutureTask<T> out = new FutureTask<>(() -> reader.read(process.getInputStream()));
        FutureTask<Void> err = new FutureTask<>(() -> {
            stderr.read(process.getErrorStream());
            return null;
        });
        Thread.ofPlatform().daemon().name("postwarden-queue-stdout").start(out);
        Thread.ofPlatform().daemon().name("postwarden-queue-stderr").start(err);
        if (stdin == null) {
            closeQuietly(process.getOutputStream());
        } else {
            Thread.ofPlatform().daemon().name("postwarden-queue-stdin").start(() -> {
                try (OutputStream os = process.getOutputStream()) {
                    os.write(stdin);
                } catch (IOException e) {
                    // The command closed its input early (broken pipe): its exit status tells what happened.
                }
            });
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            if (!process.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
                kill(process);
                waitQuietly(err, KILL_GRACE_MILLIS);
                throw new IOException(name + " timed out after " + timeout.toMillis() + " ms and was killed"
                        + exitStatus(process) + stderr.describe());
            }
            T result = out.get(remaining(deadline), TimeUnit.NANOSECONDS);
            err.get(remaining(deadline), TimeUnit.NANOSECONDS);
            int exit = process.exitValue();
            if (exit != 0) {
                throw new IOException(name + " exited with status " + exit + stderr.describe());
            }
            return new Outcome<>(result, stderr.reported());
        } catch (InterruptedException e) {
            kill(process);
            Thread.currentThread().interrupt();
            throw new InterruptedIOException(name + " was interrupted and killed");
        } catch (TimeoutException e) {
            kill(process);
            throw new IOException(name + " exited but its output stayed open past the " + timeout.toMillis()
                    + " ms timeout (a child process still holds it)" + stderr.describe());
        } catch (ExecutionException e) {
            kill(process);
            Throwable cause = e.getCause();
            throw new IOException(name + " output could not be read: "
                    + LogSafe.escape(String.valueOf(cause == null ? e : cause), 200) + stderr.describe(), cause);
        }
    }

    private static long remaining(long deadline) {
        return Math.max(0, deadline - System.nanoTime());
    }

    /** Kills the process and its children (a shell wrapper's {@code sleep} would keep the pipes open). */
    private static void kill(Process process) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        try {
            process.waitFor(KILL_GRACE_MILLIS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String exitStatus(Process process) {
        return process.isAlive() ? "" : " (exit status " + process.exitValue() + ")";
    }

    private static void waitQuietly(FutureTask<?> task, long millis) {
        try {
            task.get(millis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            // Only waiting for what standard error said so far.
        }
    }

    private static void closeQuietly(OutputStream os) {
        try {
            os.close();
        } catch (IOException e) {
            // Nothing to do: the command has no input either way.
        }
    }

    /** Reads standard error to its end, keeping its first lines and the count postsuper reports. Thread-safe. */
    private static final class StderrHead {
        private final Pattern report;
        private final List<String> head = new ArrayList<>();
        private int omitted;
        private int reported;

        StderrHead(Pattern report) {
            this.report = report;
        }

        void read(InputStream in) throws IOException {
            BoundedLines lines = new BoundedLines(in, STDERR_LINE_BYTES);
            while (lines.next()) {
                if (lines.blank()) {
                    continue;
                }
                String line = lines.text();
                line(line);
            }
        }

        private synchronized void line(String line) {
            if (head.size() < STDERR_LINES) {
                head.add(LogSafe.escape(line.strip(), STDERR_LINE_CHARS));
            } else {
                omitted++;
            }
            if (report != null) {
                Matcher m = report.matcher(line);
                if (m.find()) {
                    reported = Integer.parseInt(m.group(1));
                }
            }
        }

        synchronized int reported() {
            return reported;
        }

        /** ": line | line (+n more lines)", or "" when nothing was written. */
        synchronized String describe() {
            if (head.isEmpty()) {
                return "";
            }
            return ": " + String.join(" | ", head) + (omitted > 0 ? " (+" + omitted + " more lines)" : "");
        }
    }
}
