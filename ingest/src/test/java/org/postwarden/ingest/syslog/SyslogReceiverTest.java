package org.postwarden.ingest.syslog;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.postwarden.api.BanListener;
import org.postwarden.config.PostwardenConfig;
import org.postwarden.config.load.ConfigLoader;
import org.postwarden.engine.DecisionEngine;
import org.postwarden.engine.SignalRecorder;
import org.postwarden.ingest.IngestMetrics;
import org.postwarden.ingest.IngestPipeline;
import org.postwarden.metrics.PostwardenMetrics;
import org.postwarden.model.Cidr;
import org.postwarden.model.ClientKey;
import org.postwarden.model.KeyLevel;
import org.postwarden.model.ManualTimeSource;
import org.postwarden.reputation.memory.MemoryReputationStore;
import org.postwarden.rules.Rules;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The syslog receiver on real loopback sockets: RFC 3164 and 5424, TCP framings, malformed and hostile input. */
class SyslogReceiverTest {
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    DecisionEngine engine;
    SignalRecorder recorder;
    SyslogReceiver receiver;

    @BeforeEach
    void start() throws Exception {
        start("");
    }

    /** Starts the receiver with {@code syslogExtra} added to its {@code ingest.syslog} section. */
    void start(String syslogExtra) throws Exception {
        PostwardenConfig c = ConfigLoader.load("t", """
                ingest:
                  syslog: {enabled: true, udp: 127.0.0.1:0, tcp: 127.0.0.1:0, max-message-bytes: 2048,
                           max-connections: 3%s}
                  max-line-age: 0s
                bans: {threshold: 0}
                """.formatted(syslogExtra));
        Rules rules = new Rules(c);
        // a clock that stands still: scores do not decay while the test runs
        ManualTimeSource time = new ManualTimeSource(System.currentTimeMillis());
        PostwardenMetrics metrics = new PostwardenMetrics(registry);
        recorder = new SignalRecorder(metrics, time, null, BanListener.NONE);
        engine = new DecisionEngine(rules, new MemoryReputationStore(rules.storeSettings(), time), metrics)
                .withSignals(recorder);
        IngestPipeline pipeline = new IngestPipeline(engine, time, c.ingest().maxLineAge(),
                c.ingest().maxLineLength(), new IngestMetrics(registry));
        receiver = new SyslogReceiver(c.ingest().syslog(), pipeline);
        receiver.start();
    }

    @AfterEach
    void stop() {
        receiver.stop(Duration.ofSeconds(2));
    }

    double lines(String source, String result) {
        Counter c = registry.find("postwarden.log.lines").tag("source", source).tag("result", result).counter();
        return c == null ? 0 : c.count();
    }

    double score(String ip) {
        return engine.store().score(ClientKey.of(Cidr.parseAddress(ip), KeyLevel.HOST, 48));
    }

    static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(10); // waiting for another thread's socket I/O, not for time to pass
        }
    }

    void udp(byte[] datagram) throws IOException {
        try (DatagramSocket s = new DatagramSocket()) {
            s.send(new DatagramPacket(datagram, datagram.length, receiver.udpAddress()));
        }
    }

    void udp(String text) throws IOException {
        udp(text.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void rfc3164AndRfc5424DatagramsAreScored() throws Exception {
        udp("<22>Nov 22 10:00:01 mx postfix/postscreen[1201]: PREGREET 11 after 0.15 from [192.0.2.1]:52010: EHLO x");
        udp("<22>1 2025-11-22T10:00:01.003Z mx.example.test postfix/submission/smtpd 3100 - - warning: "
                + "unknown[192.0.2.2]: SASL LOGIN authentication failed: UGFzc3dvcmQ6, sasl_username=admin");
        udp("<22>1 2025-11-22T10:00:01Z mx dovecot 880 - [meta sequenceId=\"1\" x=\"a\\]b\"] \uFEFFimap-login: "
                + "Disconnected (auth failed, 2 attempts in 4 secs): user=<bob>, method=PLAIN, rip=192.0.2.3, lip=::1");
        // rsyslog's forward format: an RFC 3339 stamp in 3164 framing
        udp("<22>2025-11-22T10:00:01.123456+01:00 mx postfix/smtpd[9]: SSL_accept error from unknown[192.0.2.4]: -1");
        // a container's whole line as the message (docker syslog driver, tag = container name)
        udp("<30>1 2025-11-22T10:00:01Z host mailserver 77 - - Nov 22 10:00:01 mail postfix/smtpd[5]: "
                + "lost connection after AUTH from unknown[192.0.2.5]");
        await(() -> lines("syslog-udp", "event") >= 5, "5 events");
        double w = engine.rules().weight(org.postwarden.model.Signal.PREGREET);
        assertEquals(w, score("192.0.2.1"), 1e-6);
        assertTrue(score("192.0.2.2") > 0);
        assertEquals(2 * engine.rules().weight(org.postwarden.model.Signal.AUTH_FAILURE), score("192.0.2.3"), 1e-6);
        assertTrue(score("192.0.2.4") > 0);
        assertTrue(score("192.0.2.5") > 0);
        assertTrue(recorder.userScore("admin", engine.store()) > 0);
        assertTrue(recorder.userScore("bob", engine.store()) > 0);
    }

    @Test
    void malformedAndOversizedDatagramsAreCountedAndDropped() throws Exception {
        udp("no priority at all");
        udp("<999>Nov 22 10:00:01 mx postfix/smtpd[1]: connect from unknown[192.0.2.9]");
        udp("<22");
        udp(new byte[] {'<', '1', '>', 0, 1, 2, 3, (byte) 0xff, (byte) 0xfe, 10, 13});
        udp("<22>1 2025-11-22T10:00:01Z mx app 1 - [unterminated sd");
        udp(("<22>Nov 22 10:00:01 mx postfix/smtpd[1]: " + "A".repeat(5000)).getBytes(StandardCharsets.UTF_8));
        udp("<22>Nov 22 10:00:01 mx postfix/qmgr[1]: ABC: removed");
        // still alive and well afterwards
        udp("<22>Nov 22 10:00:01 mx postfix/postscreen[1]: PREGREET 1 after 0 from [192.0.2.10]:1: x");
        await(() -> lines("syslog-udp", "event") >= 1, "the good datagram");
        assertEquals(5, lines("syslog-udp", "malformed"));
        assertEquals(1, lines("syslog-udp", "too-long"));
        assertEquals(1, lines("syslog-udp", "ignored"));
        assertTrue(score("192.0.2.10") > 0);
        assertEquals(0, score("192.0.2.9"));
    }

    @Test
    void tcpOctetCountingAndNewlineFramingSplitAtAnyByte() throws Exception {
        String m1 = "<22>1 2025-11-22T10:00:01Z mx postfix/smtpd 1 - - SSL_accept error from unknown[192.0.2.20]: -1";
        String m2 = "<22>Nov 22 10:00:01 mx postfix/postscreen[1]: PREGREET 1 after 0 from [192.0.2.21]:1: x";
        byte[] stream = (m1.length() + " " + m1 + m2 + "\n" + m2.replace(".21]", ".22]") + "\r\n")
                .getBytes(StandardCharsets.UTF_8);
        try (Socket s = new Socket()) {
            s.connect(receiver.tcpAddress(), 2000);
            OutputStream out = s.getOutputStream();
            for (byte b : stream) {
                out.write(b);
                out.flush();
            }
            await(() -> lines("syslog-tcp", "event") >= 3, "3 TCP events");
        }
        assertTrue(score("192.0.2.20") > 0);
        assertTrue(score("192.0.2.21") > 0);
        assertTrue(score("192.0.2.22") > 0);
    }

    @Test
    void tcpSkipsOversizedFramesAndClosesOnABadCount() throws Exception {
        String ok = "<22>Nov 22 10:00:01 mx postfix/postscreen[1]: PREGREET 1 after 0 from [192.0.2.30]:1: x";
        try (Socket s = new Socket()) {
            s.connect(receiver.tcpAddress(), 2000);
            OutputStream out = s.getOutputStream();
            out.write(("9999 " + "x".repeat(9999) + "B".repeat(3000) + "\n" + ok + "\n")
                    .getBytes(StandardCharsets.UTF_8));
            out.flush();
            await(() -> lines("syslog-tcp", "event") >= 1, "the frame after the oversized ones");
            assertEquals(2, lines("syslog-tcp", "too-long"));
            out.write("12x <22>garbage\n".getBytes(StandardCharsets.UTF_8));
            out.flush();
            s.setSoTimeout(5000);
            InputStream in = s.getInputStream();
            assertEquals(-1, in.read(), "the receiver closed the connection: the framing is lost");
        }
        assertEquals(1, lines("syslog-tcp", "malformed"));
        assertTrue(score("192.0.2.30") > 0);
    }

    @Test
    void tooManyTcpSendersAreRefused() throws Exception {
        Socket[] held = new Socket[3];
        try {
            for (int i = 0; i < held.length; i++) {
                held[i] = new Socket();
                held[i].connect(receiver.tcpAddress(), 2000);
            }
            try (Socket extra = new Socket()) {
                extra.connect(new InetSocketAddress(receiver.tcpAddress().getAddress(),
                        receiver.tcpAddress().getPort()), 2000);
                extra.setSoTimeout(5000);
                assertEquals(-1, extra.getInputStream().read(), "the fourth sender is closed");
            }
        } finally {
            for (Socket s : held) {
                if (s != null) {
                    s.close();
                }
            }
        }
        assertEquals(1, lines("syslog-tcp", "too-many-connections"));
    }

    @Test
    void sendersOutsideTheAllowedSourcesAreNotHeard() throws Exception {
        // the default (loopback) hears this test; a receiver that allows only 192.0.2.0/24 must not
        udp("<22>Nov 22 10:00:01 mx postfix/postscreen[1]: PREGREET 1 after 0 from [192.0.2.40]:1: x");
        await(() -> lines("syslog-udp", "event") >= 1, "the loopback sender is heard by default");
        stop();
        start(", allowed-sources: [192.0.2.0/24]");
        udp("<22>Nov 22 10:00:01 mx postfix/postscreen[1]: PREGREET 1 after 0 from [192.0.2.41]:1: x");
        await(() -> lines("syslog-udp", "forbidden-source") >= 1, "the datagram from 127.0.0.1 is dropped");
        try (Socket s = new Socket()) {
            s.connect(receiver.tcpAddress(), 2000);
            s.setSoTimeout(5000);
            s.getOutputStream().write(("<22>Nov 22 10:00:01 mx postfix/postscreen[1]: PREGREET 1 after 0 from "
                    + "[192.0.2.42]:1: x\n").getBytes(StandardCharsets.UTF_8));
            assertEquals(-1, s.getInputStream().read(), "the TCP sender from 127.0.0.1 is closed");
        } catch (java.net.SocketException e) {
            // closed while writing: refused all the same
        }
        await(() -> lines("syslog-tcp", "forbidden-source") >= 1, "the TCP sender is counted");
        assertEquals(0, score("192.0.2.41"));
        assertEquals(0, score("192.0.2.42"));
        assertEquals(1, lines("syslog-udp", "event") + lines("syslog-tcp", "event"), "only the first, allowed one");
    }
}
