package org.postwarden.runtime;

import org.postwarden.api.Engine;
import org.postwarden.config.PostwardenConfig;
import org.postwarden.metrics.PostwardenMetrics;
import org.postwarden.model.TimeSource;

import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * What listeners share: the engine (one for the daemon's lifetime; a reload changes what is behind it, not the
 * object), metrics, time and the start-up config.
 */
public final class DaemonContext {
    private final Engine engine;
    private final PostwardenMetrics metrics;
    private final TimeSource time;
    private final PostwardenConfig startConfig;
    private final BooleanSupplier ready;
    private final Supplier<Optional<String>> notReady;

    /**
     * @param engine the engine every listener calls
     * @param ready  whether every listener has started (false again from the start of shutdown)
     */
    public DaemonContext(Engine engine, PostwardenMetrics metrics, TimeSource time, BooleanSupplier ready) {
        this(engine, metrics, time, ready, Optional::empty);
    }

    /**
     * @param engine   the engine every listener calls
     * @param ready    whether the daemon reports ready
     * @param notReady why it does not although it serves (e.g. a corrupt snapshot not yet acknowledged), or empty
     */
    public DaemonContext(Engine engine, PostwardenMetrics metrics, TimeSource time, BooleanSupplier ready,
            Supplier<Optional<String>> notReady) {
        this.notReady = notReady;
        this.engine = engine;
        this.metrics = metrics;
        this.time = time;
        this.startConfig = engine.config();
        this.ready = ready;
    }

    /** A context that is always ready (tests, benchmarks). */
    public DaemonContext(Engine engine, PostwardenMetrics metrics, TimeSource time) {
        this(engine, metrics, time, () -> true);
    }

    /** The engine. */
    public Engine engine() {
        return engine;
    }

    /** The current configuration. */
    public PostwardenConfig config() {
        return engine.config();
    }

    /** The configuration listeners were started with (listen addresses do not change on reload). */
    public PostwardenConfig startConfig() {
        return startConfig;
    }

    /** True once every listener has started, false again from the start of shutdown. */
    public boolean ready() {
        return ready.getAsBoolean();
    }

    /** Why the daemon reports not-ready while it serves (a condition an admin must acknowledge), if it does. */
    public Optional<String> notReadyReason() {
        return notReady.get();
    }

    public PostwardenMetrics metrics() {
        return metrics;
    }

    public TimeSource time() {
        return time;
    }
}
