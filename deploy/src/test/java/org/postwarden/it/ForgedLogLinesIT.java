package org.postwarden.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.postwarden.it.harness.Exec;
import org.postwarden.it.harness.Requirements;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The forged line of issue 18, sent with the real {@code logger(1)} to the real daemon's syslog receiver:
 * {@code logger -t imap-login 'Disconnected (auth failed, 100 attempts …) rip=203.0.113.9'} no longer bans anyone by
 * itself; a tag of another program is ignored; a sender outside {@code ingest.syslog.allowed-sources} is not heard.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ForgedLogLinesIT {
    static final Duration WAIT = Duration.ofSeconds(30);
    static final String FORGED = "Disconnected (auth failed, 100 attempts in 2 secs): user=<bob>, method=PLAIN, "
            + "rip=203.0.113.9, lip=192.0.2.25";
    static Path dir;
    static DaemonProcess daemon;

    @BeforeAll
    static void start() throws Exception {
        Requirements.require("logger", "bsdutils");
        dir = Files.createTempDirectory("pw-forged-it");
        daemon = DaemonProcess.start(dir, """
                ingest:
                  syslog: {enabled: true, udp: 127.0.0.1:0, tcp: "", allowed-sources: [127.0.0.1/32]}
                  max-line-age: 0s
                bans: {threshold: 20.0, scanners: {enabled: false}}
                """);
    }

    @AfterAll
    static void stop() throws Exception {
        if (daemon != null) {
            daemon.stop();
        }
    }

    static void logger(String tag, String message) {
        Exec.run(Duration.ofSeconds(20), "logger", "--server", "127.0.0.1", "--port",
                String.valueOf(daemon.port("syslog-udp")), "--udp", "-t", tag, message).requireOk();
    }

    double lines(String result) throws IOException {
        return daemon.metric("postwarden_log_lines_total", "source=\"syslog-udp\"", "result=\"" + result + "\"");
    }

    static void await(Callable<Boolean> condition, String what) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.call()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + WAIT + ": " + what + "\ndaemon log:\n" + daemon.log());
            }
            Thread.sleep(100); // another process's doing
        }
    }

    @Test
    @Order(1)
    void oneForgedLineOfAHundredAttemptsBansNobody() throws Exception {
        logger("imap-login", FORGED);
        await(() -> lines("event") >= 1, "the daemon read the forged line");
        assertTrue(daemon.metric("postwarden_signals_total", "signal=\"auth-failure\"") >= 1);
        assertEquals(0, daemon.metric("postwarden_bans_issued_total"), "one line never bans:\n" + daemon.log());
        // the cap is per line: it bounds what a forger gets per line; repeating the line is what an attack is
        logger("imap-login", FORGED);
        logger("imap-login", FORGED);
        await(() -> daemon.metric("postwarden_bans_issued_total") >= 1, "three lines of 9 points ban");
        assertTrue(daemon.log().contains("banned host 203.0.113.9/32"), daemon.log());
    }

    @Test
    @Order(2)
    void aLineOfAnotherProgramIsIgnored() throws Exception {
        double before = lines("ignored");
        double signals = daemon.metric("postwarden_signals_total");
        logger("webapp/smtpd", "warning: unknown[203.0.113.10]: SASL LOGIN authentication failed: x");
        logger("backdoor-login", FORGED.replace("203.0.113.9", "203.0.113.10"));
        await(() -> lines("ignored") >= before + 2, "both lines ignored");
        assertEquals(signals, daemon.metric("postwarden_signals_total"), "no signal from either");
    }

    @Test
    @Order(3)
    void aSenderOutsideTheAllowedSourcesIsNotHeard() throws Exception {
        byte[] line = ("<38>Nov 22 10:00:01 mx postfix/postscreen[1]: PREGREET 11 after 0 from [203.0.113.11]:1: x")
                .getBytes(StandardCharsets.US_ASCII);
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(InetAddress.getByName("127.0.0.2"), 0))) {
            s.send(new DatagramPacket(line, line.length, new InetSocketAddress("127.0.0.1",
                    daemon.port("syslog-udp"))));
        }
        await(() -> daemon.metric("postwarden_log_lines_total", "result=\"forbidden-source\"") >= 1,
                "the datagram from 127.0.0.2 is dropped");
        assertTrue(daemon.log().contains("not in ingest.syslog.allowed-sources"), daemon.log());
        assertEquals(0, daemon.metric("postwarden_signals_total", "signal=\"pregreet\""));
    }
}
