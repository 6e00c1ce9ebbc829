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
 * Runs the {@link BanExporter} (cidr map) and the {@link NftablesExporter} twice a second, each on a thread of its
 * own ({@code postwarden-ban-export}, {@code postwarden-nftables}: a slow nft never delays the map), when
 * {@code bans.export} names a cidr map, enables the nftables sets or names an nftables command at start-up. Whatever
 * the source of a ban (logs, admin API), it is exported.
 */
public final class BanExportListener implements Listener {
    private static final long TICK_MILLIS = 500;
    private final DaemonContext context;
    private ScheduledExecutorService thread;
    private ScheduledExecutorService nftThread;

    BanExportListener(DaemonContext context) {
        this.context = context;
    }

    static boolean wanted(PostwardenConfig c) {
        PostwardenConfig.BanExport x = c.bans().export();
        return !x.cidrMap().isBlank() || NftablesExporter.wanted(x);
    }

    @Override
    public String name() {
        return "ban-export";
    }

    @Override
    public void start() {
        // both threads run whatever was configured at start-up: a reload may turn either export on or off
        BanExporter exporter = new BanExporter(context.engine(), context.metrics(), context.time(),
                new CommandRunner());
        thread = thread("postwarden-ban-export");
        thread.scheduleWithFixedDelay(exporter::tick, 0, TICK_MILLIS, TimeUnit.MILLISECONDS);
        NftablesExporter nft = new NftablesExporter(context.engine(), context.metrics(), context.time(),
                new CommandRunner());
        nftThread = thread("postwarden-nftables");
        nftThread.scheduleWithFixedDelay(nft::tick, 0, TICK_MILLIS, TimeUnit.MILLISECONDS);
    }

    private static ScheduledExecutorService thread(String name) {
        return Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
    }

    @Override
    public void stop(Duration grace) {
        if (thread != null) {
            Listener.shutdown(thread, grace);
        }
        if (nftThread != null) {
            Listener.shutdown(nftThread, grace);
        }
    }

    @Override
    public String address() {
        PostwardenConfig.BanExport x = context.startConfig().bans().export();
        return (x.cidrMap().isBlank() ? "" : "cidr map " + x.cidrMap())
                + (x.nftables().enabled() ? (x.cidrMap().isBlank() ? "" : ", ") + "nftables sets inet "
                        + x.nftables().table() + " " + x.nftables().set4() + "/" + x.nftables().set6() : "")
                + (x.nftablesCommand().isEmpty() ? "" : (x.cidrMap().isBlank() && !x.nftables().enabled() ? "" : ", ")
                        + "nftables command");
    }

    /** Registers the exporter (ServiceLoader). */
    public static final class Factory implements ListenerFactory {
        @Override
        public Optional<Listener> create(DaemonContext context) {
            return wanted(context.startConfig()) ? Optional.of(new BanExportListener(context)) : Optional.empty();
        }
    }
}
