package org.postwarden.ingest.export;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postwarden.config.PostwardenConfig;
import org.postwarden.config.load.ConfigLoader;
import org.postwarden.engine.DecisionEngine;
import org.postwarden.metrics.PostwardenMetrics;
import org.postwarden.model.Cidr;
import org.postwarden.model.ClientKey;
import org.postwarden.model.KeyLevel;
import org.postwarden.model.TimeSource;
import org.postwarden.reputation.memory.MemoryReputationStore;
import org.postwarden.rules.Rules;
import org.postwarden.runtime.DaemonContext;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The export listener with a real clock and real threads: an nft that hangs holds up only the nftables thread,
 * never the cidr map.
 */
class BanExportListenerTest {
    @TempDir
    Path dir;

    @Test
    void aHangingNftNeverDelaysTheCidrMap() throws Exception {
        Path map = dir.resolve("bans.cidr");
        Path go = dir.resolve("go");
        Path started = dir.resolve("nft-started");
        // the "nft" hangs until the test lets it go (at most 120 s: the test stops by itself either way)
        Path nft = dir.resolve("nft.sh");
        Files.writeString(nft, "#!/bin/sh\ntouch '" + started + "'\ni=0\n"
                + "while [ ! -e '" + go + "' ] && [ $i -lt 1200 ]; do sleep 0.1; i=$((i+1)); done\n");
        PostwardenConfig c = ConfigLoader.load("t", "bans:\n  export:\n    cidr-map: " + map + "\n"
                + "    min-interval: 0s\n    command-timeout: 5m\n"
                + "    nftables: {enabled: true, command: [/bin/sh, " + nft + "]}\n");
        Rules rules = new Rules(c);
        PostwardenMetrics metrics = new PostwardenMetrics(new SimpleMeterRegistry());
        DecisionEngine engine = new DecisionEngine(rules, new MemoryReputationStore(rules.storeSettings(),
                TimeSource.SYSTEM), metrics);
        BanExportListener listener = new BanExportListener(new DaemonContext(engine, metrics, TimeSource.SYSTEM));
        listener.start();
        try {
            assertTrue(await(() -> Files.exists(started)), "nft runs (and hangs)");
            engine.store().ban(ClientKey.of(Cidr.parseAddress("192.0.2.7"), KeyLevel.HOST, 48), Duration.ofHours(1),
                    "admin", "test");
            assertTrue(await(() -> Files.exists(map) && Files.readString(map).contains("192.0.2.7/32")),
                    "the ban reaches the cidr map while nft hangs");
            assertFalse(Files.exists(go), "nft was still hanging");
        } finally {
            Files.writeString(go, "");
            listener.stop(Duration.ofSeconds(10));
        }
    }

    interface Check {
        boolean ok() throws Exception;
    }

    /** Polls {@code check} for up to 60 s (a generous bound on a shared machine, not a timed assertion). */
    static boolean await(Check check) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < end) {
            if (check.ok()) {
                return true;
            }
            Thread.sleep(50);
        }
        return check.ok();
    }
}
