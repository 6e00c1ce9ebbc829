package org.postwarden.daemon;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.postwarden.api.BanListener;
import org.postwarden.api.Engine;
import org.postwarden.config.PostwardenConfig;
import org.postwarden.engine.DecisionEngine;
import org.postwarden.engine.SignalRecorder;
import org.postwarden.metrics.PostwardenMetrics;
import org.postwarden.model.TimeSource;
import org.postwarden.reputation.memory.MemoryReputationStore;
import org.postwarden.rules.Rules;

/** Engines built outside a running daemon. */
public final class Engines {
    private Engines() {
    }

    /**
     * An engine on a fresh in-memory store, for {@code postwarden replay}: the daemon's checks, signals and ban rules
     * on {@code time}, without DNS (no DNSBL, no scanner lookups) and with metrics of its own.
     */
    public static Engine offline(PostwardenConfig config, TimeSource time, BanListener listener) {
        Rules rules = new Rules(config);
        PostwardenMetrics metrics = new PostwardenMetrics(new SimpleMeterRegistry());
        return new DecisionEngine(rules, new MemoryReputationStore(rules.storeSettings(), time), metrics)
                .withSignals(new SignalRecorder(metrics, time, null, listener));
    }
}
