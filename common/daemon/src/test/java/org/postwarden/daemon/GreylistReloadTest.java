package org.postwarden.daemon;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postwarden.config.PostwardenConfig;
import org.postwarden.config.load.ConfigLoader;
import org.postwarden.dnsbl.SenderPools;
import org.postwarden.engine.DecisionEngine;
import org.postwarden.metrics.PostwardenMetrics;
import org.postwarden.model.MailEvent;
import org.postwarden.model.ManualTimeSource;
import org.postwarden.model.SmtpStage;
import org.postwarden.verdict.Action;
import org.postwarden.verdict.Decision;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

/**
 * Greylisting across reloads and restarts: the sender-pool lookups are kept while their settings stay, replaced when
 * they change; a reload that changes the greylist tables' bounds moves the entries to a new store; a restart
 * restores them from the snapshot.
 */
class GreylistReloadTest {
    @TempDir
    Path dir;
    private final ManualTimeSource time = new ManualTimeSource(1_800_000_000_000L);
    private Daemon daemon;

    @AfterEach
    void stop() {
        if (daemon != null) {
            daemon.close();
        }
    }

    private PostwardenConfig config(String greylist) throws Exception {
        return ConfigLoader.load("test", """
                store: {snapshot: {path: %s, interval: 1h}}
                bans: {scanners: {enabled: false}}
                networks: {local-domains: [example.test]}
                greylist: %s
                """.formatted(dir.resolve("state.snapshot"), greylist));
    }

    private Daemon start(PostwardenConfig c) throws Exception {
        daemon = Daemon.start(c, time, new PostwardenMetrics(new SimpleMeterRegistry()), List.of());
        return daemon;
    }

    private Action rcpt() throws Exception {
        MailEvent e = MailEvent.builder(SmtpStage.RCPT).source("policy").client("198.51.100.7").clientPort(4000)
                .clientName("unknown").helo("mail.sender.example").sender("a@sender.example")
                .recipient("bob@example.test").build();
        Decision d = daemon.engine().decide(e).toCompletableFuture().get(10, TimeUnit.SECONDS);
        return d.verdict().action();
    }

    @Test
    void thePoolLookupsAreKeptOrReplacedWithTheirSettings() throws Exception {
        start(config("{enabled: true, pools: {resolver: \"127.0.0.1:1\"}}"));
        SenderPools first = daemon.engine().current().pools();
        assertNotNull(first);
        daemon.reload(config("{enabled: true, delay: 1m, pools: {resolver: \"127.0.0.1:1\"}}"));
        assertSame(first, daemon.engine().current().pools(), "the pools' settings are unchanged: warm cache kept");
        daemon.reload(config("{enabled: true, pools: {resolver: \"127.0.0.1:2\"}}"));
        assertNotSame(first, daemon.engine().current().pools());
        daemon.reload(config("{enabled: true, pools: {ptr: false, spf: false}}"));
        assertNull(daemon.engine().current().pools(), "no DNS pool: no lookups, no threads");
        daemon.reload(config("{enabled: false}"));
        assertNull(daemon.engine().current().pools());
    }

    @Test
    void entriesMoveWithAReloadThatChangesTheirBoundsAndSurviveARestart() throws Exception {
        start(config("{enabled: true, pools: {ptr: false, spf: false}}"));
        assertEquals(Action.DEFER, rcpt());
        DecisionEngine before = daemon.engine().current();
        daemon.reload(config("{enabled: true, max-entries: 5000, max-age: 20d, pools: {ptr: false, spf: false}}"));
        assertNotSame(before.store(), daemon.engine().current().store(), "new bounds: a new store");
        time.advance(Duration.ofMinutes(5));
        assertEquals(Action.PASS, rcpt(), "the first attempt moved with the state");
        daemon.close();
        daemon = null;
        start(config("{enabled: true, max-entries: 5000, max-age: 20d, pools: {ptr: false, spf: false}}"));
        assertEquals(Action.PASS, rcpt(), "restored from the snapshot");
    }
}
