package org.postwarden.app;

import org.postwarden.api.Suspensions;
import org.postwarden.config.PostwardenConfig;
import org.postwarden.daemon.Daemon;
import org.postwarden.metrics.PostwardenMetrics;
import org.postwarden.model.TimeSource;
import org.postwarden.runtime.ListenerFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;

/**
 * Starts the daemon for {@code postwarden run} with the operations wiring: the HTTP listener gets the reload
 * coordinator (for {@code POST /admin/reload} and the status page), SIGHUP reloads the configuration, and SIGTERM
 * stops gracefully with exit status 0 (the JVM's own handler would exit with 143, which systemd counts as a
 * failure unless told otherwise; the unit keeps {@code SuccessExitStatus=143} for JVMs without signal support).
 */
final class DaemonLauncher {
    private static final Logger LOG = LoggerFactory.getLogger(DaemonLauncher.class);

    private DaemonLauncher() {
    }

    /**
     * Starts the daemon on {@code config}, loaded from {@code configFile} (null: the embedded default), which is
     * where reloads read it again.
     */
    static Daemon start(Path configFile, PostwardenConfig config, TimeSource time, PostwardenMetrics metrics)
            throws Exception {
        OpsMetrics ops = new OpsMetrics(metrics, AdminApi.version());
        ReloadCoordinator reloads = new ReloadCoordinator(configFile, time, ops);
        List<ListenerFactory> factories = new ArrayList<>();
        for (ListenerFactory f : ServiceLoader.load(ListenerFactory.class)) {
            factories.add(f instanceof HttpListenerFactory ? new HttpListenerFactory(reloads, Suspensions.NONE, ops)
                    : f);
        }
        Daemon daemon = Daemon.start(config, time, metrics, factories);
        reloads.attach(daemon);
        if (Signals.handle("HUP", () -> reloads.reload("signal"))) {
            LOG.info("SIGHUP reloads the configuration from {}", reloads.source());
        }
        Signals.handle("TERM", () -> {
            LOG.info("SIGTERM: stopping");
            System.exit(0);
        });
        return daemon;
    }
}
