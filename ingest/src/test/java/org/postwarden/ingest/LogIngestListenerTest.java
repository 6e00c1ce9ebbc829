package org.postwarden.ingest;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postwarden.config.PostwardenConfig;
import org.postwarden.config.load.ConfigLoader;
import org.postwarden.daemon.Daemon;
import org.postwarden.ingest.export.BanExportListener;
import org.postwarden.metrics.PostwardenMetrics;
import org.postwarden.model.Cidr;
import org.postwarden.model.ClientKey;
import org.postwarden.model.KeyLevel;
import org.postwarden.model.TimeSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The listeners inside a real (in-process) daemon: a followed file leads to a ban, an exported map, saved offsets. */
class LogIngestListenerTest {
    @TempDir
    Path dir;

    static void await(BooleanSupplier c, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!c.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out: " + what);
            }
            Thread.sleep(20); // the listener's own thread does the work
        }
    }

    @Test
    void aFollowedLogBansAndTheBanIsExported() throws Exception {
        Path log = dir.resolve("mail.log");
        Files.writeString(log, "Nov 22 10:00:00 mx postfix/postscreen[1]: PREGREET 1 after 0 from [192.0.2.200]:1: "
                + "old history, not replayed\n");
        PostwardenConfig c = ConfigLoader.load("t", """
                policy: {enabled: false}
                milter: {enabled: false}
                http: {enabled: false}
                store: {snapshot: {path: ""}}
                outbound: {state-path: ""}
                ingest: {files: [%1$s/mail.log], poll-interval: 20ms, state-path: %1$s/offsets, max-line-age: 0s}
                scoring: {weights: {pregreet: 10.0}}
                bans:
                  threshold: 20.0
                  scanners: {enabled: false}
                  export: {cidr-map: %1$s/bans.cidr, min-interval: 0s}
                """.formatted(dir));
        try (Daemon d = Daemon.start(c, TimeSource.SYSTEM, new PostwardenMetrics(new SimpleMeterRegistry()),
                List.of(new LogIngestListenerFactory(), new BanExportListener.Factory()))) {
            assertEquals(List.of("ingest", "ban-export"), d.listeners().stream().map(l -> l.name()).toList());
            ClientKey old = ClientKey.of(Cidr.parseAddress("192.0.2.200"), KeyLevel.HOST, 48);
            ClientKey bot = ClientKey.of(Cidr.parseAddress("192.0.2.201"), KeyLevel.HOST, 48);
            await(() -> Files.exists(dir.resolve("bans.cidr")), "the map at start");
            Files.writeString(log, ("Nov 22 10:00:01 mx postfix/postscreen[1]: PREGREET 11 after 0.1 from "
                    + "[192.0.2.201]:5: EHLO x\n").repeat(3), StandardCharsets.UTF_8, StandardOpenOption.APPEND);
            await(() -> d.engine().current().store().activeBan(bot).isPresent(), "the ban");
            await(() -> {
                try {
                    return Files.readString(dir.resolve("bans.cidr")).contains("192.0.2.201/32 REJECT");
                } catch (java.io.IOException e) {
                    return false;
                }
            }, "the exported ban");
            assertFalse(d.engine().current().store().activeBan(old).isPresent(), "history before start not read");
        }
        assertTrue(Files.readString(dir.resolve("offsets")).contains(log.toString()), "offsets saved at stop");
    }

    @Test
    void nothingStartsWithTheDefaultConfiguration() throws Exception {
        PostwardenConfig c = ConfigLoader.load("t", """
                policy: {enabled: false}
                milter: {enabled: false}
                http: {enabled: false}
                store: {snapshot: {path: ""}}
                outbound: {state-path: ""}
                """);
        try (Daemon d = Daemon.start(c, TimeSource.SYSTEM, new PostwardenMetrics(new SimpleMeterRegistry()),
                List.of(new LogIngestListenerFactory(), new BanExportListener.Factory()))) {
            assertTrue(d.listeners().isEmpty(), "no file read, no port opened, no map written");
        }
    }
}
