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
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * TCP senders that misuse the syslog receiver (issue 18): one address cannot take every slot, a trickled message is
 * closed at its deadline, and a sender from another address is read all the while.
 */
class SyslogFloodSocketTest {
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    DecisionEngine engine;
    SyslogReceiver receiver;

    @BeforeEach
    void start() throws Exception {
        PostwardenConfig c = ConfigLoader.load("t", """
                ingest:
                  syslog: {enabled: true, udp: "", tcp: 127.0.0.1:0, max-connections: 10,
                           max-connections-per-source: 3, request-deadline: 300ms}
                  max-line-age: 0s
                bans: {threshold: 0}
                """);
        Rules rules = new Rules(c);
        ManualTimeSource time = new ManualTimeSource(System.currentTimeMillis());
        PostwardenMetrics metrics = new PostwardenMetrics(registry);
        SignalRecorder recorder = new SignalRecorder(metrics, time, null, BanListener.NONE);
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

    double lines(String result) {
        Counter c = registry.find("postwarden.log.lines").tag("source", "syslog-tcp").tag("result", result).counter();
        return c == null ? 0 : c.count();
    }

    double score(String ip) {
        return engine.store().score(ClientKey.of(Cidr.parseAddress(ip), KeyLevel.HOST, 48));
    }

    Socket from(String source) throws IOException {
        Socket s = new Socket();
        s.bind(new InetSocketAddress(InetAddress.getByName(source), 0));
        s.connect(receiver.tcpAddress(), 10_000);
        s.setSoTimeout(20_000);
        return s;
    }

    static boolean closedByServer(InputStream in) {
        try {
            return in.read() < 0;
        } catch (SocketTimeoutException stillOpen) {
            return false;
        } catch (IOException reset) {
            return true;
        }
    }

    static void await(java.util.function.BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(10); // waiting for another thread's socket I/O, not for time to pass
        }
    }

    @Test
    void oneSenderAddressCannotTakeEverySlot() throws Exception {
        List<Socket> flood = new ArrayList<>();
        try {
            for (int i = 0; i < 8; i++) {
                flood.add(from("127.0.0.1"));
            }
            await(() -> lines("too-many-connections-per-source") >= 5, "five refused");
            int closed = 0;
            for (Socket s : flood) {
                s.setSoTimeout(500);
                closed += closedByServer(s.getInputStream()) ? 1 : 0;
            }
            assertEquals(5, closed, "three of eight from 127.0.0.1 are kept, the rest closed");
            assertEquals(3, receiver.tcpLimit().active(InetAddress.getByName("127.0.0.1")));
            try (Socket other = from("127.0.0.2")) {
                other.getOutputStream().write(("<22>Nov 22 10:00:01 mx postfix/postscreen[1]: PREGREET 11 after 0.1 "
                        + "from [192.0.2.71]:5000: EHLO x\n").getBytes(StandardCharsets.US_ASCII));
                await(() -> score("192.0.2.71") > 0, "the other sender's line");
            }
        } finally {
            for (Socket s : flood) {
                s.close();
            }
        }
    }

    @Test
    void aTrickledMessageIsClosedAtItsDeadline() throws Exception {
        try (Socket slow = from("127.0.0.1")) {
            slow.getOutputStream().write("<22>Nov 22 10:00:01 mx postfix/postscreen[1]: PREG"
                    .getBytes(StandardCharsets.US_ASCII));
            assertTrue(closedByServer(slow.getInputStream()), "closed at the deadline");
        }
        assertEquals(1, lines("slow-request"));
        await(() -> receiver.inputBudget().held() == 0, "its bytes given back");
        assertTrue(receiver.inputBudget().peak() > 0);
        assertFalse(score("192.0.2.72") > 0);
    }
}
