package org.postwarden.it.harness;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;

import org.junit.jupiter.api.Assumptions;

/**
 * Preconditions for tests that need real system tools (Postfix, swaks, dovecot) and root.
 *
 * <p>A missing tool skips the test on a developer machine (with a loud line on stderr), but fails it when the
 * environment variable {@code CI} is {@code true}, so CI can never go green by skipping everything.
 */
public final class Requirements {

    private static final Set<Path> EXTRA_DIRS =
            Set.of(Path.of("/usr/sbin"), Path.of("/usr/bin"), Path.of("/sbin"), Path.of("/bin"));

    private Requirements() {
    }

    /** Skips (or in CI fails) the calling test unless {@code command} is installed. */
    public static void require(String command, String debianPackage) {
        if (which(command).isEmpty()) {
            unmet("required command " + command + " missing: install Debian package " + debianPackage);
        }
    }

    /** Skips (or in CI fails) the calling test unless the JVM runs as root (Postfix's master needs it). */
    public static void requireRoot() {
        if (!isRoot()) {
            unmet("tests need to run as root (postfix start, smtp-sink -u, dovecot)");
        }
    }

    /** True if this JVM runs with effective uid 0. */
    public static boolean isRoot() {
        try {
            return Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return "root".equals(System.getProperty("user.name"));
        }
    }

    /** Absolute path of {@code command} looked up on PATH plus /usr/sbin, /usr/bin, /sbin, /bin. */
    public static Optional<Path> which(String command) {
        if (command.contains("/")) {
            Path p = Path.of(command);
            return Files.isExecutable(p) ? Optional.of(p) : Optional.empty();
        }
        Set<Path> dirs = new LinkedHashSet<>();
        String path = System.getenv("PATH");
        if (path != null) {
            for (String d : path.split(File.pathSeparator)) {
                if (!d.isBlank()) {
                    dirs.add(Path.of(d));
                }
            }
        }
        dirs.addAll(EXTRA_DIRS);
        for (Path d : dirs) {
            Path p = d.resolve(command);
            if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    /** Like {@link #which} but for a command that {@link #require} already checked; fails if it is absent. */
    static String exe(String command) {
        return which(command)
                .map(Path::toString)
                .orElseThrow(() -> new IllegalStateException("command not found: " + command));
    }

    /** Skips (or in CI fails) the calling test for a reason other than a missing command. */
    public static void unmetLoudly(String message) {
        unmet(message);
    }

    private static void unmet(String message) {
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            throw new AssertionError(message);
        }
        System.err.println("**************************************************************");
        System.err.println("SKIPPED: " + message);
        System.err.println("**************************************************************");
        Assumptions.abort(message);
    }
}
