package org.postwarden.it;

import org.postwarden.it.harness.Exec;
import org.postwarden.it.harness.Ports;
import org.postwarden.it.harness.Requirements;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Debian's {@code unbound} as the DNS server of an end-to-end test: a loopback UDP port, a config under the
 * test's directory, local zones only. It never recurses (everything outside the given zones is {@code static}:
 * NXDOMAIN), may query no address at all, never binds port 53, and leaves {@code /etc/resolv.conf} alone.
 * Started with {@code -d} and stopped by its PID. unbound cannot report a port it bound, so the port is picked just
 * before the start, without SO_REUSEPORT (a taken port makes unbound exit), and the start is repeated with another
 * port when it was taken meanwhile.
 */
final class UnboundDns implements AutoCloseable {
    private final Process process;
    private final int port;
    private final Path dir;
    private final boolean control;

    private UnboundDns(Process process, int port, Path dir, boolean control) {
        this.process = process;
        this.port = port;
        this.dir = dir;
        this.control = control;
    }

    /** Starts unbound with {@code localZoneLines} ({@code local-zone:}/{@code local-data:} server lines). */
    static UnboundDns start(Path dir, String localZoneLines) throws Exception {
        return start(dir, localZoneLines, false);
    }

    /**
     * Like {@link #start(Path, String)}; with {@code control}, unbound's remote control listens on a unix socket in
     * {@code dir} (no TCP port, no certificates), so a test can change the zones while it runs ({@link #control}).
     */
    static UnboundDns start(Path dir, String localZoneLines, boolean control) throws Exception {
        Requirements.require("unbound", "unbound");
        Requirements.require("unbound-checkconf", "unbound");
        if (control) {
            Requirements.require("unbound-control", "unbound");
        }
        Files.createDirectories(dir);
        return Ports.retryOnBindFailure("unbound", () -> startOnce(dir, localZoneLines, control));
    }

    private static UnboundDns startOnce(Path dir, String localZoneLines, boolean control)
            throws IOException, InterruptedException {
        int port = Ports.candidateUdp();
        String conf = "server:\n"
                + "  interface: 127.0.0.1@" + port + "\n  port: " + port + "\n"
                + "  do-ip6: no\n  do-tcp: no\n  num-threads: 1\n  so-reuseport: no\n"
                + "  username: \"\"\n  chroot: \"\"\n  directory: \"" + dir + "\"\n"
                + "  pidfile: \"" + dir.resolve("unbound.pid") + "\"\n"
                + "  use-syslog: no\n  logfile: \"" + dir.resolve("unbound.log") + "\"\n"
                + "  module-config: \"iterator\"\n  access-control: 127.0.0.0/8 allow\n"
                + "  do-not-query-address: 0.0.0.0/0\n  do-not-query-address: ::/0\n"
                + "  local-zone: \".\" static\n"
                + localZoneLines
                + (control ? "remote-control:\n  control-enable: yes\n  control-use-cert: no\n"
                        + "  control-interface: \"" + dir.resolve("unbound.ctl") + "\"\n" : "");
        Path cfg = dir.resolve("unbound.conf");
        Files.writeString(cfg, conf, StandardCharsets.UTF_8);
        Process check = new ProcessBuilder(Requirements.which("unbound-checkconf").orElseThrow().toString(),
                cfg.toString()).redirectErrorStream(true).start();
        String out = new String(check.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!check.waitFor(20, TimeUnit.SECONDS) || check.exitValue() != 0) {
            throw new IllegalStateException("unbound-checkconf refused the config:\n" + out + "\n" + conf);
        }
        Files.deleteIfExists(dir.resolve("unbound.log"));
        Process p = new ProcessBuilder(Requirements.which("unbound").orElseThrow().toString(), "-d", "-c",
                cfg.toString()).redirectErrorStream(true).redirectOutput(dir.resolve("unbound.out").toFile()).start();
        UnboundDns u = new UnboundDns(p, port, dir, control);
        try {
            u.awaitAnswering();
        } catch (IOException | RuntimeException e) {
            u.close();
            if (!(e instanceof Ports.AddressInUse) && Ports.saysAddressInUse(u.log())) {
                throw new Ports.AddressInUse("unbound could not bind UDP 127.0.0.1:" + port + ": " + u.log().lines()
                        .filter(Ports::saysAddressInUse).findFirst().orElse(""));
            }
            throw e;
        }
        return u;
    }

    /** Sends a minimal DNS query (A ready.invalid) until any answer comes back; bounded, no sleeping. */
    private void awaitAnswering() throws IOException {
        byte[] q = {0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
            5, 'r', 'e', 'a', 'd', 'y', 7, 'i', 'n', 'v', 'a', 'l', 'i', 'd', 0, 0, 1, 0, 1};
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        try (DatagramSocket s = new DatagramSocket()) {
            s.setSoTimeout(200);
            while (System.nanoTime() < deadline) {
                if (!process.isAlive()) {
                    throw new IllegalStateException("unbound exited with " + process.exitValue() + ":\n" + log());
                }
                s.send(new DatagramPacket(q, q.length, InetAddress.getLoopbackAddress(), port));
                try {
                    s.receive(new DatagramPacket(new byte[512], 512));
                    return;
                } catch (SocketTimeoutException e) {
                    // not up yet: ask again
                }
            }
        }
        throw new IllegalStateException("unbound did not answer within 15s:\n" + log());
    }

    /**
     * Runs {@code unbound-control} against this server (e.g. {@code local_data "NAME 60 IN A 127.0.0.2"},
     * {@code local_data_remove NAME}, {@code local_zone_remove ZONE}) and checks that it succeeded.
     */
    String control(String... args) {
        if (!control) {
            throw new IllegalStateException("started without remote control");
        }
        List<String> cmd = new ArrayList<>(List.of(Requirements.which("unbound-control").orElseThrow()
                .toString(), "-c", dir.resolve("unbound.conf").toString()));
        cmd.addAll(List.of(args));
        Exec.Result r = Exec.run(Duration.ofSeconds(20), cmd);
        if (!r.ok() || r.output().contains("error")) {
            throw new IllegalStateException(r.describe() + "\n" + log());
        }
        return r.output();
    }

    /** {@code 127.0.0.1:PORT}, for {@code dnsbl.resolver}. */
    String hostPort() {
        return "127.0.0.1:" + port;
    }

    String log() {
        StringBuilder sb = new StringBuilder();
        for (String f : List.of("unbound.out", "unbound.log")) {
            try {
                Path p = dir.resolve(f);
                if (Files.exists(p)) {
                    sb.append(Files.readString(p, StandardCharsets.UTF_8));
                }
            } catch (IOException e) {
                sb.append("(cannot read ").append(f).append(")\n");
            }
        }
        return sb.toString();
    }

    /** SIGTERM to unbound's PID, SIGKILL after 10 s; checks it is gone. */
    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        if (process.isAlive()) {
            throw new IllegalStateException("unbound (pid " + process.pid() + ") still running");
        }
    }
}
