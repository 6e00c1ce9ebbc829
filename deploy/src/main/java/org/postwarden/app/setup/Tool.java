package org.postwarden.app.setup;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs an admin tool (postconf, postfix, doveconf) with a time limit and captures its output. */
final class Tool {
    private static final long TIMEOUT_SECONDS = 60;

    private Tool() {
    }

    /** Outcome of one command: exit status (-1 on timeout) and stdout+stderr. */
    record Result(List<String> command, int exit, String output) {
        boolean ok() {
            return exit == 0;
        }

        String describe() {
            return String.join(" ", command) + " exited with " + exit
                    + (output.isBlank() ? "" : ":\n" + output.strip());
        }
    }

    /** Thrown when a tool is missing, fails or the layout is not one setup understands; nothing was changed. */
    static final class Refused extends Exception {
        Refused(String message) {
            super(message);
        }
    }

    /** Finds {@code name} on PATH or in the sbin directories (postconf lives in /usr/sbin). */
    static String exe(String name) throws Refused {
        String path = System.getenv().getOrDefault("PATH", "") + File.pathSeparator + "/usr/sbin:/usr/bin:/sbin:/bin";
        for (String dir : path.split(File.pathSeparator)) {
            if (!dir.isBlank() && Files.isExecutable(Path.of(dir, name))) {
                return Path.of(dir, name).toString();
            }
        }
        throw new Refused(name + " not found (on PATH or in /usr/sbin): is it installed?");
    }

    static Result run(List<String> command) {
        try {
            Path out = Files.createTempFile("postwarden-setup-", ".out");
            try {
                Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile())
                        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
                boolean done = p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS);
                if (!done) {
                    p.destroyForcibly();
                }
                return new Result(List.copyOf(command), done ? p.exitValue() : -1,
                        Files.readString(out, StandardCharsets.UTF_8));
            } finally {
                Files.deleteIfExists(out);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + String.join(" ", command), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted running " + String.join(" ", command), e);
        }
    }

    /** Runs the command and returns its output, or refuses with the tool's own message. */
    static String require(List<String> command) throws Refused {
        Result r = run(command);
        if (!r.ok()) {
            throw new Refused(r.describe());
        }
        return r.output();
    }
}
