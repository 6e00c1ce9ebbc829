package org.postwarden.ingest.export;

import org.postwarden.config.PostwardenConfig;
import org.postwarden.runtime.DaemonContext;
import org.postwarden.runtime.Listener;
import org.postwarden.runtime.ListenerFactory;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Runs the {@link BanExporter} twice a second on a thread of its own ({@code postwarden-ban-export}), when
 * {@code bans.export} names a cidr map or an nftables command at start-up. Whatever the source of a ban (logs,
 * admin API), it is exported.
 */
public final class BanExportListener implements Listener {
    private static final long TICK_MILLIS = 500;
    private final DaemonContext context;
    private ScheduledExecutorService thread;

    BanExportListener(DaemonContext context) {
        this.context = context;
    }

    static boolean wanted(PostwardenConfig c) {
        PostwardenConfig.BanExport x = c.bans().export();
        return !x.cidrMap().isBlank() || !x.nftablesCommand().isEmpty();
    }

    @Override
    public String name() {
        return "ban-export";
    }

    @Override
    public void start() {
        BanExporter exporter = new BanExporter(context.engine(), context.metrics(), context.time(), new CommandRunner());
        thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "postwarden-ban-export");
            t.setDaemon(true);
            return t;
        });
        thread.scheduleWithFixedDelay(exporter::tick, 0, TICK_MILLIS, TimeUnit.MILLISECONDS);
    }

    @Override
    public void stop(Duration grace) {
        if (thread == null) {
            return;
        }
        Listener.shutdown(thread, grace);
    }

    @Override
    public String address() {
        PostwardenConfig.BanExport x = context.startConfig().bans().export();
        return (x.cidrMap().isBlank() ? "" : "cidr map " + x.cidrMap())
                + (x.nftablesCommand().isEmpty() ? "" : (x.cidrMap().isBlank() ? "" : ", ") + "nftables command");
    }

    /** Registers the exporter (ServiceLoader). */
    public static final class Factory implements ListenerFactory {
        @Override
        public Optional<Listener> create(DaemonContext context) {
            return wanted(context.startConfig()) ? Optional.of(new BanExportListener(context)) : Optional.empty();
        }
    }
}
