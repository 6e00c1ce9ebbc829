package org.postwarden.it.harness;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A private user and network namespace for the real {@code nft}, so that a test never touches the host's firewall.
 *
 * <p>A holder process ({@code unshare -rn sh -c 'ip link set lo up; exec sleep 900'}: no fork, so its pid is the
 * namespace's) keeps the namespace alive; every command enters it with {@code nsenter -t PID -U -n} (root outside
 * may enter a user namespace it created; inside, the mapped root has CAP_NET_ADMIN over that network namespace
 * only). {@link #nftWrapper} writes a script that runs {@code nft} there, for a daemon's configured nft command: the
 * daemon itself stays in the host's namespaces, so the test reaches its ports as usual. The holder ends by itself
 * after 15 minutes; {@link #close()} ends it by its pid at once.
 */
public final class NetNamespace implements AutoCloseable {
    private static final Duration CMD = Duration.ofSeconds(20);
    private final Process holder;

    private NetNamespace(Process holder) {
        this.holder = holder;
    }

    /** Starts the namespace; skips (or in CI fails) the test without unshare, nsenter or nft, or without userns. */
    public static NetNamespace start() {
        Requirements.require("unshare", "util-linux");
        Requirements.require("nsenter", "util-linux");
        Requirements.require("nft", "nftables");
        Requirements.require("ip", "iproute2");
        Process p;
        try {
            p = new ProcessBuilder(Requirements.exe("unshare"), "-rn", "sh", "-c",
                    "ip link set lo up && exec sleep 900")
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start unshare -rn", e);
        }
        NetNamespace ns = new NetNamespace(p);
        // the holder has entered the namespace once its net namespace differs from ours and nft answers there
        long deadline = System.nanoTime() + CMD.toNanos();
        while (true) {
            if (!p.isAlive()) {
                Requirements.unmetLoudly("unshare -rn exited with " + p.exitValue()
                        + ": user namespaces are not available here");
            }
            if (!ns.sameNetNamespaceAsUs() && ns.nft("list", "ruleset").ok()) {
                return ns;
            }
            if (System.nanoTime() > deadline) {
                ns.close();
                throw new IllegalStateException("private network namespace not ready within " + CMD);
            }
            Procs.sleep(Duration.ofMillis(50));
        }
    }

    private boolean sameNetNamespaceAsUs() {
        try {
            return Files.readSymbolicLink(Path.of("/proc", Long.toString(holder.pid()), "ns", "net"))
                    .equals(Files.readSymbolicLink(Path.of("/proc/self/ns/net")));
        } catch (IOException e) {
            return true;
        }
    }

    public long pid() {
        return holder.pid();
    }

    /** Runs {@code nft ARGS} inside the namespace. */
    public Exec.Result nft(String... args) {
        List<String> cmd = new ArrayList<>(List.of(Requirements.exe("nsenter"), "-t", Long.toString(pid()), "-U",
                "-n", "--", Requirements.exe("nft")));
        cmd.addAll(List.of(args));
        return Exec.run(CMD, cmd);
    }

    /**
     * Writes an executable {@code sh} script at {@code script} that runs {@code nft "$@"} inside the namespace,
     * after {@code prelude} (shell lines, may be empty: a test's hook to make nft fail or hang).
     */
    public Path nftWrapper(Path script, String prelude) throws IOException {
        Files.writeString(script, "#!/bin/sh\n" + prelude + "\nexec " + Requirements.exe("nsenter") + " -t " + pid()
                + " -U -n -- " + Requirements.exe("nft") + " \"$@\"\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        return script;
    }

    @Override
    public void close() {
        holder.destroy();
        try {
            if (!holder.waitFor(5, TimeUnit.SECONDS)) {
                holder.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            holder.destroyForcibly();
        }
    }
}
