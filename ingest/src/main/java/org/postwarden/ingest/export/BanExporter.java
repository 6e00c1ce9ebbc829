package org.postwarden.ingest.export;

import io.micrometer.core.instrument.Counter;
import org.postwarden.api.Engine;
import org.postwarden.config.PostwardenConfig;
import org.postwarden.metrics.PostwardenMetrics;
import org.postwarden.model.Cidr;
import org.postwarden.model.TimeSource;
import org.postwarden.reputation.Ban;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.TreeSet;

/**
 * Keeps the store's bans outside Postwarden: a Postfix {@code cidr:} table ({@code bans.export.cidr-map}) with one
 * {@code NETWORK/PREFIX RESULT} line per active ban and per {@code bans.permanent} entry, rewritten atomically
 * (temporary file in the same directory, then rename) when the set changes, new bans and expiries alike, at most once
 * per {@code min-interval}, then {@code reload-command}. The nftables export is {@link NftablesExporter}'s, on a
 * thread of its own, so that a slow nft never delays the map.
 *
 * <p>Driven by {@link #tick()} (the export listener calls it twice a second on its own thread; tests call it with a
 * manual clock). It reads the store of the current engine each time, so bans from any source are exported, also
 * after a reload. The reload command blocks the calling thread for at most {@code command-timeout}. Not thread-safe
 * (one thread ticks).
 */
public final class BanExporter {
    private static final Logger LOG = LoggerFactory.getLogger(BanExporter.class);
    private final Engine engine;
    private final PostwardenMetrics metrics;
    private final TimeSource time;
    private final CommandRunner runner;
    private TreeSet<String> written;
    private PostwardenConfig writtenWith;
    private long lastWrite = Long.MIN_VALUE / 2;

    public BanExporter(Engine engine, PostwardenMetrics metrics, TimeSource time, CommandRunner runner) {
        this.engine = engine;
        this.metrics = metrics;
        this.time = time;
        this.runner = runner;
    }

    /** One round; returns whether the cidr map was (re)written. Never throws. */
    public boolean tick() {
        try {
            PostwardenConfig.BanExport cfg = engine.config().bans().export();
            Engine.BanList bans = engine.bans();
            return cfg.cidrMap().isBlank() ? false : cidrMap(cfg, bans.active(), bans.permanent());
        } catch (RuntimeException ex) {
            LOG.error("ban export failed", ex);
            return false;
        }
    }

    private boolean cidrMap(PostwardenConfig.BanExport cfg, List<Ban> bans, List<Cidr> permanent) {
        TreeSet<String> nets = new TreeSet<>();
        bans.forEach(b -> nets.add(b.key().cidr()));
        permanent.forEach(c -> nets.add(c.toString()));
        PostwardenConfig config = engine.config();
        if (nets.equals(written) && config == writtenWith) {
            return false;
        }
        long now = time.millis();
        if (now - lastWrite < cfg.minInterval().toMillis()) {
            return false;
        }
        Path path = Path.of(cfg.cidrMap());
        String result = cfg.cidrResult().trim();
        StringBuilder sb = new StringBuilder()
                .append("# Postfix cidr: table of the clients Postwarden bans; rewritten on every change, ")
                .append("do not edit.\n")
                .append("# ").append(nets.size()).append(" entries, written ").append(Instant.ofEpochMilli(now))
                .append(".\n");
        List<String> ours = protectedWithin(config, nets);
        if (!ours.isEmpty()) {
            sb.append("# our own, trusted and allowlisted hosts inside banned networks are never refused: ")
                    .append("they come first (a cidr: table answers its first match)\n");
        }
        for (String n : ours) {
            sb.append(n).append(" DUNNO\n");
        }
        for (String n : nets) {
            sb.append(n).append(' ').append(result).append('\n');
        }
        try {
            write(path, sb.toString());
        } catch (IOException ex) {
            count("cidr-map", "error");
            LOG.error("cannot write ban map {}: {}", path, ex.toString());
            lastWrite = now;
            return false;
        }
        written = nets;
        writtenWith = config;
        lastWrite = now;
        count("cidr-map", "ok");
        LOG.info("ban map {} written: {} entries", path, nets.size());
        if (!cfg.reloadCommand().isEmpty()) {
            run("reload", cfg.reloadCommand(), cfg.commandTimeout());
        }
        return true;
    }

    /**
     * The networks of {@code networks.trusted}, {@code networks.own-addresses} and {@code allowlist.clients} that lie
     * inside (or hold) a banned network of {@code nets}: written first, as {@code DUNNO}, so that neither
     * postscreen nor {@code check_client_access} refuses them for a ban of a network around them.
     */
    static List<String> protectedWithin(PostwardenConfig config, java.util.Collection<String> nets) {
        TreeSet<String> out = new TreeSet<>();
        List<String> ours = new java.util.ArrayList<>(config.networks().trusted());
        ours.addAll(config.networks().ownAddresses());
        ours.addAll(config.allowlist().clients());
        if (ours.isEmpty() || nets.isEmpty()) {
            return List.of();
        }
        List<Cidr> banned = nets.stream().map(Cidr::parse).toList();
        for (String o : ours) {
            Cidr c = Cidr.parse(o);
            for (Cidr b : banned) {
                if (b.overlaps(c)) {
                    out.add(c.toString());
                    break;
                }
            }
        }
        return List.copyOf(out);
    }

    static void write(Path path, String text) throws IOException {
        Path dir = path.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = dir.resolve("." + path.getFileName() + ".tmp");
        Files.writeString(tmp, text, StandardCharsets.UTF_8);
        try {
            Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private boolean run(String target, List<String> argv, Duration timeout) {
        try {
            CommandRunner.Result r = runner.run(argv, timeout);
            if (r.ok()) {
                count(target, "ok");
                LOG.debug("{} command {} ok", target, argv);
                return true;
            }
            count(target, "error");
            LOG.warn("{} command {} failed: {}", target, argv, r.describe());
        } catch (IOException ex) {
            count(target, "error");
            LOG.warn("{} command {} could not run: {}", target, argv, ex.toString());
        }
        return false;
    }

    private void count(String target, String result) {
        Counter.builder("postwarden.ban.exports").description("Ban exports: cidr map writes and commands")
                .tags("target", target, "result", result).register(metrics.registry()).increment();
    }
}
