package org.postwarden.it;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Start-up failures of the real jar: a port already in use (bound by this test on port 0 and held), an unreadable
 * file, a missing one. Each prints one line naming the key and the value, exits non-zero, and prints no stack trace.
 */
class StartupErrorsIT {
    static final Duration EXIT = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    /** The listeners on 127.0.0.1:0 and the state under the test's directory, then {@code extra}. */
    String config(String policy, String milter, String http, String extra) {
        return "policy: {listen: \"" + policy + "\"}\n"
                + "milter: {listen: \"" + milter + "\"}\n"
                + "http: {listen: \"" + http + "\"}\n"
                + "store: {snapshot: {path: " + dir.resolve("state/postwarden.snapshot") + ", interval: 1h}}\n"
                + "outbound: {state-path: \"\"}\n"
                + extra;
    }

    static ServerSocket holdTcpPort() throws IOException {
        ServerSocket s = new ServerSocket();
        s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        return s;
    }

    /** Asserts the run failed with exactly {@code line} as the start-up error, and no stack trace anywhere. */
    static void failedWith(DaemonProcess.Exit exit, String line) {
        assertNotEquals(0, exit.code(), exit.output());
        List<String> errors = exit.output().lines().filter(l -> l.startsWith("postwarden: cannot start: ")).toList();
        assertEquals(List.of("postwarden: cannot start: " + line), errors, exit.output());
        assertFalse(exit.output().contains("\tat "), "no stack trace:\n" + exit.output());
        assertFalse(exit.output().contains("Exception"), "no exception class names:\n" + exit.output());
        assertFalse(exit.output().contains("postwarden started"), exit.output());
    }

    @Test
    void aPolicyPortInUseIsOneLineNamingTheKeyAndTheValue() throws Exception {
        try (ServerSocket taken = holdTcpPort()) {
            String listen = "127.0.0.1:" + taken.getLocalPort();
            DaemonProcess.Exit exit = DaemonProcess.runToExit(dir, config(listen, "127.0.0.1:0", "127.0.0.1:0", ""),
                    EXIT);
            failedWith(exit, "policy.listen " + listen + ": address already in use");
            assertEquals(1, exit.code());
        }
    }

    @Test
    void aMilterOrHttpPortInUseToo() throws Exception {
        try (ServerSocket taken = holdTcpPort()) {
            String listen = "127.0.0.1:" + taken.getLocalPort();
            failedWith(DaemonProcess.runToExit(dir.resolve("milter"), config("127.0.0.1:0", listen, "127.0.0.1:0",
                    ""), EXIT), "milter.listen " + listen + ": address already in use");
            failedWith(DaemonProcess.runToExit(dir.resolve("http"), config("127.0.0.1:0", "127.0.0.1:0", listen,
                    ""), EXIT), "http.listen " + listen + ": address already in use");
        }
    }

    @Test
    void aSyslogPortInUseToo() throws Exception {
        try (DatagramSocket taken = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            String udp = "127.0.0.1:" + taken.getLocalPort();
            DaemonProcess.Exit exit = DaemonProcess.runToExit(dir, config("127.0.0.1:0", "127.0.0.1:0",
                    "127.0.0.1:0", "ingest: {syslog: {enabled: true, udp: \"" + udp + "\", tcp: \"\"}}\n"), EXIT);
            failedWith(exit, "ingest.syslog.udp " + udp + ": address already in use");
        }
    }

    @Test
    void anUnreadableOrMissingFileIsOneLineNamingTheKeyAndThePath() throws Exception {
        // a directory where a file is expected cannot be read, not even by root (who reads any file)
        Path notAFile = Files.createDirectories(dir.resolve("secret.d"));
        String auth = "auth-policy: {enabled: true, listen: 127.0.0.1:0, api-header: X-API-Key, "
                + "api-secret-file: \"%s\"}\n";
        failedWith(DaemonProcess.runToExit(dir.resolve("dir"), config("127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0",
                auth.formatted(notAFile)), EXIT), "auth-policy.api-secret-file " + notAFile
                        + ": cannot read: is a directory");
        Path missing = dir.resolve("no/such/secret");
        failedWith(DaemonProcess.runToExit(dir.resolve("missing"), config("127.0.0.1:0", "127.0.0.1:0",
                "127.0.0.1:0", auth.formatted(missing)), EXIT), "auth-policy.api-secret-file " + missing
                        + ": cannot read: no such file or directory");
    }

    @Test
    void aGoodConfigStillStarts() throws Exception {
        // the same config with free ports starts (so the failures above are the ports' and files', not the config's)
        DaemonProcess d = DaemonProcess.start(dir.resolve("good"), "");
        try {
            assertTrue(d.policyPort() > 0);
        } finally {
            assertTrue(List.of(0, 143).contains(d.stop()));
        }
    }
}
