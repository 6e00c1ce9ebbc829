package org.postwarden.runtime;

import org.postwarden.config.PostwardenConfig;
import org.postwarden.engine.DecisionEngine;
import org.postwarden.metrics.PostwardenMetrics;
import org.postwarden.model.TimeSource;

import java.util.concurrent.atomic.AtomicReference;

/** What listeners share: the current engine (swappable on reload), metrics, time and the start-up config. */
public final class DaemonContext {
    private final AtomicReference<DecisionEngine> engine;
    private final PostwardenMetrics metrics;
    private final TimeSource time;
    private final PostwardenConfig startConfig;
    private volatile boolean ready;

    public DaemonContext(DecisionEngine engine, PostwardenMetrics metrics, TimeSource time) {
        this.engine = new AtomicReference<>(engine);
        this.metrics = metrics;
        this.time = time;
        this.startConfig = engine.rules().config();
    }

    /** The engine to use for the next event. */
    public DecisionEngine engine() {
        return engine.get();
    }

    void swap(DecisionEngine next) {
        engine.set(next);
    }

    /** The current configuration. */
    public PostwardenConfig config() {
        return engine.get().rules().config();
    }

    /** The configuration listeners were started with (listen addresses do not change on reload). */
    public PostwardenConfig startConfig() {
        return startConfig;
    }

    /** True once every listener has started, false again from the start of shutdown. */
    public boolean ready() {
        return ready;
    }

    void ready(boolean value) {
        this.ready = value;
    }

    public PostwardenMetrics metrics() {
        return metrics;
    }

    public TimeSource time() {
        return time;
    }
}
