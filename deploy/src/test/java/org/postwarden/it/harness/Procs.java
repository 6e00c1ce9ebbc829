package org.postwarden.it.harness;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** Linux process helpers: liveness that treats zombies as dead, finding an instance's processes, killing. */
final class Procs {

    private Procs() {
    }

    /**
     * Alive and not a zombie. Orphaned daemons are reparented to PID 1, which on some machines reaps them only
     * every few seconds, so a finished process can linger as a zombie; it holds no port, lock or file.
     */
    static boolean running(ProcessHandle h) {
        if (!h.isAlive()) {
            return false;
        }
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(h.pid()), "stat"));
            int close = stat.lastIndexOf(')');
            char state = close > 0 && close + 2 < stat.length() ? stat.charAt(close + 2) : '?';
            return state != 'Z' && state != 'X';
        } catch (IOException e) {
            return h.isAlive();
        }
    }

    /**
     * Running processes whose command line mentions {@code baseDir} or whose environment has
     * {@code MAIL_CONFIG=<baseDir>/...} (Postfix's master and every daemon it spawns carry that variable), and
     * their descendants.
     */
    static List<ProcessHandle> belongingTo(Path baseDir) {
        String dir = baseDir.toString();
        byte[] needle = ("MAIL_CONFIG=" + dir + "/").getBytes(StandardCharsets.UTF_8);
        long self = ProcessHandle.current().pid();
        List<ProcessHandle> found = new ArrayList<>();
        ProcessHandle.allProcesses().forEach(h -> {
            if (h.pid() == self || !running(h)) {
                return;
            }
            Path proc = Path.of("/proc", Long.toString(h.pid()));
            try {
                String cmdline = new String(Files.readAllBytes(proc.resolve("cmdline")), StandardCharsets.UTF_8);
                if (cmdline.contains(dir + "/") || cmdline.endsWith(dir) || cmdline.contains(dir + "\0")) {
                    found.add(h);
                    return;
                }
                if (indexOf(Files.readAllBytes(proc.resolve("environ")), needle) >= 0) {
                    found.add(h);
                }
            } catch (IOException | SecurityException e) {
                // gone meanwhile, or not ours to read
            }
        });
        // plus their children (dovecot/auth, dovecot/log, ... carry neither the path nor MAIL_CONFIG)
        Set<Long> seen = new HashSet<>();
        found.forEach(h -> seen.add(h.pid()));
        for (ProcessHandle h : List.copyOf(found)) {
            h.descendants().filter(d -> seen.add(d.pid()) && running(d)).forEach(found::add);
        }
        return found;
    }

    /** One line per process: pid, user and command line, for error messages. */
    static String describe(List<ProcessHandle> handles) {
        StringBuilder sb = new StringBuilder();
        for (ProcessHandle h : handles) {
            ProcessHandle.Info i = h.info();
            sb.append("  pid ").append(h.pid())
                    .append(' ').append(i.user().orElse("?"))
                    .append(' ').append(i.commandLine().orElse(i.command().orElse("?")))
                    .append('\n');
        }
        return sb.toString();
    }

    /** SIGTERM to {@code root}, then SIGKILL to whatever of it and its descendants still runs after {@code grace}. */
    static boolean killTree(ProcessHandle root, Duration grace) {
        List<ProcessHandle> all = new ArrayList<>(root.descendants().toList());
        all.add(root);
        root.destroy();
        if (awaitGone(all, grace)) {
            return true;
        }
        return killAll(all, Duration.ofSeconds(5));
    }

    /** SIGKILL to each handle, then wait (bounded) until none runs. True if all are gone. */
    static boolean killAll(List<ProcessHandle> handles, Duration wait) {
        for (ProcessHandle h : handles) {
            if (running(h)) {
                h.destroyForcibly();
            }
        }
        return awaitGone(handles, wait);
    }

    /** Waits (bounded) until none of {@code handles} is running. */
    static boolean awaitGone(List<ProcessHandle> handles, Duration wait) {
        long deadline = System.nanoTime() + wait.toNanos();
        while (true) {
            if (handles.stream().noneMatch(Procs::running)) {
                return true;
            }
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            if (!sleep(Duration.ofMillis(25))) {
                return false;
            }
        }
    }

    /** Paths that process {@code pid} holds open (empty if it is gone). */
    static Set<Path> openFiles(long pid) {
        Set<Path> open = new HashSet<>();
        try (var fds = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
            fds.forEach(fd -> {
                try {
                    open.add(Files.readSymbolicLink(fd));
                } catch (IOException e) {
                    // closed meanwhile
                }
            });
        } catch (IOException e) {
            // process gone
        }
        return open;
    }

    /**
     * Inodes of the sockets listening on TCP {@code 127.0.0.1:port} (more than one when their owners set
     * SO_REUSEPORT, as Postfix's master and smtp-sink do): IPv4 sockets, and IPv6 ones bound to
     * {@code ::ffff:127.0.0.1} (as Java binds them), which get IPv4 connections too. Read from /proc/net/tcp and
     * tcp6 so that the check leaves no "connect from"/"lost connection" lines in the maillog.
     */
    static Set<Long> listenerInodes(int port) {
        Set<Long> inodes = new HashSet<>();
        listeners(Path.of("/proc/net/tcp"), String.format(Locale.ROOT, "0100007F:%04X", port), inodes);
        listeners(Path.of("/proc/net/tcp6"),
                String.format(Locale.ROOT, "0000000000000000FFFF00000100007F:%04X", port), inodes);
        return inodes;
    }

    private static void listeners(Path table, String local, Set<Long> into) {
        try {
            for (String line : Files.readAllLines(table)) {
                String[] f = line.trim().split("\\s+");
                if (f.length > 9 && f[1].equals(local) && f[3].equals("0A")) {
                    into.add(Long.parseLong(f[9]));
                }
            }
        } catch (IOException | NumberFormatException e) {
            // unreadable (or no IPv6): nothing seen there
        }
    }

    /** Inodes of the sockets that process {@code pid} holds open (empty if it is gone). */
    static Set<Long> socketInodes(long pid) {
        Set<Long> inodes = new HashSet<>();
        try (var fds = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
            fds.forEach(fd -> {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (target.startsWith("socket:[") && target.endsWith("]")) {
                        inodes.add(Long.parseLong(target.substring(8, target.length() - 1)));
                    }
                } catch (IOException | NumberFormatException e) {
                    // closed meanwhile
                }
            });
        } catch (IOException | UncheckedIOException e) {
            // process gone
        }
        return inodes;
    }

    /** Sleeps; false (with the interrupt flag restored) if interrupted. */
    static boolean sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    /**
     * SIGTERM to {@code process}, SIGKILL to anything of its tree left after 10 s; fails (naming {@code what}) if a
     * process survives.
     */
    static void stopTree(Process process, String what) {
        List<ProcessHandle> tree = new java.util.ArrayList<>(process.descendants().toList());
        tree.add(process.toHandle());
        process.destroy();
        if (!awaitGone(tree, Duration.ofSeconds(10)) && !killAll(tree, Duration.ofSeconds(5))) {
            throw new IllegalStateException(what + " processes survived SIGKILL:\n" + describe(tree));
        }
        Exec.waitFor(process, Duration.ofSeconds(1));
    }

    /** The text of {@code p}, or "" when it is missing or unreadable (for diagnostics). */
    static String readOrEmpty(java.nio.file.Path p) {
        try {
            return java.nio.file.Files.exists(p) ? java.nio.file.Files.readString(p,
                    java.nio.charset.StandardCharsets.UTF_8) : "";
        } catch (java.io.IOException | java.io.UncheckedIOException e) {
            return "";
        }
    }
}
