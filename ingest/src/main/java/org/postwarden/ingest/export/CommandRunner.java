package org.postwarden.ingest.export;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs an external command (argv, no shell) with a hard time limit, capturing the first 2 KiB of its combined output
 * through a temporary file (never a pipe that a lingering child could keep open). Blocking: call it on a thread of
 * its own, never an event loop.
 */
public class CommandRunner {
    private static final int MAX_OUTPUT = 2048;

    /** Outcome of one command. */
    public record Result(int exitCode, String output, boolean timedOut) {
        public boolean ok() {
            return exitCode == 0 && !timedOut;
        }

        public String describe() {
            return (timedOut ? "timed out" : "exit " + exitCode) + (output.isBlank() ? "" : ": " + output.strip());
        }
    }

    public Result run(List<String> argv, Duration timeout) throws IOException {
        Path out = Files.createTempFile("postwarden-cmd-", ".out");
        try {
            Process p = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(out.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
            boolean done;
            try {
                done = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                done = false;
            }
            if (!done) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
            }
            byte[] b;
            try (InputStream in = Files.newInputStream(out)) {
                b = in.readNBytes(MAX_OUTPUT);
            }
            return new Result(done ? p.exitValue() : -1, new String(b, StandardCharsets.UTF_8), !done);
        } finally {
            Files.deleteIfExists(out);
        }
    }
}
