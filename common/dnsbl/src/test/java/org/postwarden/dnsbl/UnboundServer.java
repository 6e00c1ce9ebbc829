package org.postwarden.dnsbl;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real DNS server for tests: Debian's {@code unbound}, started on a free loopback UDP port with a config under a
 * temporary directory, serving only local zones. It never recurses and never queries anything but loopback
 * ({@code local-zone: "." static}, {@code do-not-query-address} for every non-loopback range), never binds port 53,
 * and leaves {@code /etc/resolv.conf} alone.
 *
 * <p>Zones are given as unbound {@code server:} lines. Two helpers build the failure cases: {@link #silentStub}
 * (a zone delegated to a loopback UDP port that never answers: timeouts) and {@link #servfailStub} (a zone delegated
 * to an address unbound may not query: SERVFAIL at once).
 *
 * <p>When the {@code unbound} binary is missing the test is skipped, loudly, naming the Debian package — unless
 * {@code CI=true}, where it fails.
 */
final class UnboundServer implements AutoCloseable {
    private static final List<String> BINARIES = List.of("/usr/sbin/unbound", "/usr/bin/unbound");
    private final Process process;
    private final int port;
    private final Path dir;
    private final DatagramSocket silent;

    private UnboundServer(Process process, int port, Path dir, DatagramSocket silent) {
        this.process = process;
        this.port = port;
        this.dir = dir;
        this.silent = silent;
    }

    /** The unbound binary, or a skip (fail with CI=true) naming the Debian package. */
    static String binary() {
        for (String b : BINARIES) {
            if (Files.isExecutable(Path.of(b))) {
                return b;
            }
        }
        String msg = "SKIPPED DNS tests against a real server: unbound not found (" + BINARIES
                + "); install Debian package unbound (apt-get install unbound)";
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            Assertions.fail(msg.replace("SKIPPED", "FAILED (CI=true)"));
        }
        System.err.println(msg);
        Assumptions.abort(msg);
        return null;
    }

    /** Server lines delegating {@code zone} to a loopback UDP port that is bound but never answers. */
    static String silentStub(String zone, int port) {
        return "  local-zone: \"" + zone + ".\" transparent\n"
                + "stub-zone:\n  name: \"" + zone + ".\"\n  stub-addr: 127.0.0.1@" + port + "\nserver:\n";
    }

    /** Server lines delegating {@code zone} to 192.0.2.1, which unbound may not query: it answers SERVFAIL. */
    static String servfailStub(String zone) {
        return "  local-zone: \"" + zone + ".\" transparent\n"
                + "stub-zone:\n  name: \"" + zone + ".\"\n  stub-addr: 192.0.2.1\nserver:\n";
    }

    /**
     * Starts unbound serving {@code zoneLines} (unbound {@code server:} clause lines such as
     * {@code local-zone: "bl.test." static} and {@code local-data: "…"}); {@code zoneLines} may call
     * {@link #silentStub} with {@link #silentPort()} of the returned server, so a silent socket is bound first.
     */
    static UnboundServer start(Path dir, java.util.function.IntFunction<String> zoneLines) throws Exception {
        String bin = binary();
        DatagramSocket silent = new DatagramSocket(0, InetAddress.getLoopbackAddress());
        int port;
        try (DatagramSocket probe = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        StringBuilder conf = new StringBuilder()
                .append("server:\n")
                .append("  interface: 127.0.0.1@").append(port).append('\n')
                .append("  port: ").append(port).append('\n')
                .append("  do-ip6: no\n  do-tcp: no\n  do-udp: yes\n")
                .append("  username: \"\"\n  chroot: \"\"\n")
                .append("  directory: \"").append(dir).append("\"\n")
                .append("  pidfile: \"").append(dir.resolve("unbound.pid")).append("\"\n")
                .append("  use-syslog: no\n")
                .append("  logfile: \"").append(dir.resolve("unbound.log")).append("\"\n")
                .append("  verbosity: 1\n")
                .append("  num-threads: 1\n")
                .append("  module-config: \"iterator\"\n")
                .append("  access-control: 127.0.0.0/8 allow\n")
                // Only loopback may ever be queried (the silent stub); everything else is refused.
                .append("  do-not-query-localhost: no\n");
        for (String net : List.of("0.0.0.0/2", "64.0.0.0/3", "96.0.0.0/4", "112.0.0.0/5", "120.0.0.0/6",
                "124.0.0.0/7", "126.0.0.0/8", "128.0.0.0/1", "::/0")) {
            conf.append("  do-not-query-address: ").append(net).append('\n');
        }
        conf.append("  local-zone: \".\" static\n");
        conf.append(zoneLines.apply(silent.getLocalPort()));
        Path cfg = dir.resolve("unbound.conf");
        Files.writeString(cfg, conf.toString(), StandardCharsets.UTF_8);
        Process check = new ProcessBuilder(bin + "-checkconf", cfg.toString()).redirectErrorStream(true).start();
        String checkOut = new String(check.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!check.waitFor(20, TimeUnit.SECONDS) || check.exitValue() != 0) {
            silent.close();
            Assertions.fail("unbound-checkconf refused the test config:\n" + checkOut + "\n" + conf);
        }
        Process p = new ProcessBuilder(bin, "-d", "-c", cfg.toString()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("unbound.out").toFile()).start();
        UnboundServer s = new UnboundServer(p, port, dir, silent);
        try {
            s.awaitAnswering();
        } catch (Exception | AssertionError e) {
            s.close();
            throw e;
        }
        return s;
    }

    /** Asks for a name under "." (static: NXDOMAIN) until unbound answers; bounded, without sleeping. */
    private void awaitAnswering() throws IOException {
        SimpleResolver r = new SimpleResolver(address());
        r.setTimeout(Duration.ofMillis(200));
        Message q = Message.newQuery(org.xbill.DNS.Record.newRecord(Name.fromString("ready.invalid."), Type.A,
                DClass.IN));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        IOException last = null;
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                Assertions.fail("unbound exited with " + process.exitValue() + ":\n" + log());
            }
            try {
                r.send(q);
                return;
            } catch (IOException e) {
                last = e;
            }
        }
        Assertions.fail("unbound did not answer within 15s (" + last + "):\n" + log());
    }

    InetSocketAddress address() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
    }

    /** {@code 127.0.0.1:PORT}, for {@code dnsbl.resolver}. */
    String hostPort() {
        return "127.0.0.1:" + port;
    }

    /** The loopback UDP port that never answers. */
    int silentPort() {
        return silent.getLocalPort();
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
                sb.append("(cannot read ").append(f).append(": ").append(e).append(")\n");
            }
        }
        return sb.toString();
    }

    /** Stops unbound by its PID (SIGTERM, then SIGKILL after 10s) and checks it is gone. */
    @Override
    public void close() {
        silent.close();
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        Assertions.assertFalse(process.isAlive(), "unbound (pid " + process.pid() + ") still running");
    }
}
