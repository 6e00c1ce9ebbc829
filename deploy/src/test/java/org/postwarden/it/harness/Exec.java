package org.postwarden.it.harness;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs an external command with a hard time limit and captures its combined stdout/stderr.
 *
 * <p>Output goes through a temporary file rather than a pipe, so a daemon that inherits the descriptor (Postfix's
 * master after {@code postfix start}) can never make the caller hang waiting for end-of-file.
 */
public final class Exec {

    private Exec() {
    }

    /**
     * Outcome of one command.
     *
     * @param command  the argv that ran
     * @param exitCode its exit status, or -1 if it was killed on timeout
     * @param output   stdout and stderr, interleaved
     * @param timedOut whether the time limit was hit
     */
    public record Result(List<String> command, int exitCode, String output, boolean timedOut) {

        /** Exit code 0 within the time limit. */
        public boolean ok() {
            return exitCode == 0 && !timedOut;
        }

        /** Returns this result, or throws with the command, exit code and output if it was not {@link #ok()}. */
        public Result requireOk() {
            if (!ok()) {
                throw new IllegalStateException(describe());
            }
            return this;
        }

        /** One readable paragraph: command, status, output. */
        public String describe() {
            return "command " + String.join(" ", command)
                    + (timedOut ? " timed out" : " exited with " + exitCode)
                    + (output.isBlank() ? " (no output)" : ", output:\n" + output.strip());
        }
    }

    /** Runs {@code command}, killing it (and its children) after {@code timeout}. */
    public static Result run(Duration timeout, String... command) {
        return run(timeout, List.of(command));
    }

    /** Runs {@code command}, killing it (and its children) after {@code timeout}. */
    public static Result run(Duration timeout, List<String> command) {
        Path out = null;
        try {
            out = Files.createTempFile("pw-exec-", ".out");
            ProcessBuilder pb = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(out.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            Process p = pb.start();
            boolean finished = waitFor(p, timeout);
            if (!finished) {
                Procs.killTree(p.toHandle(), Duration.ofSeconds(5));
            }
            String text = new String(Files.readAllBytes(out), StandardCharsets.UTF_8);
            return new Result(List.copyOf(command), finished ? p.exitValue() : -1, text, !finished);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + String.join(" ", command), e);
        } finally {
            if (out != null) {
                try {
                    Files.deleteIfExists(out);
                } catch (IOException ignored) {
                    // best effort
                }
            }
        }
    }

    static boolean waitFor(Process p, Duration timeout) {
        try {
            return p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
