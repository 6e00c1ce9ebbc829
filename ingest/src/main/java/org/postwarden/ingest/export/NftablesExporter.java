package org.postwarden.ingest.export;

import io.micrometer.core.instrument.Counter;
import org.postwarden.api.Engine;
import org.postwarden.config.PostwardenConfig;
import org.postwarden.metrics.PostwardenMetrics;
import org.postwarden.model.Cidr;
import org.postwarden.model.ClientKey;
import org.postwarden.model.TimeSource;
import org.postwarden.reputation.Ban;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Keeps the bans in nftables: the sets of {@code bans.export.nftables} (see {@link NftablesSets}), written as one
 * {@code COMMAND -f FILE} batch whenever the elements change (a ban, an unban, an expiry, a new escalation step), at
 * the first round after start-up (so a restart re-applies what is still banned, and a set left over from before holds
 * nothing that is no longer banned) and every {@code resync-interval}; and the older per-ban
 * {@code bans.export.nftables-command}.
 *
 * <p>Driven by {@link #tick()} on a thread of its own (the export listener's {@code postwarden-nftables}; tests call
 * it with a manual clock), apart from the cidr map's: a slow nft holds up only this thread, for at most
 * {@code command-timeout} per command, and never a decision. Each batch carries the whole state, so nothing queues up
 * behind a slow or failing nft: the next round writes what is banned then. A missing or failing nft is logged once as
 * a WARN (and once as INFO when it works again); meanwhile it is retried every {@link #RETRY} and whenever the bans
 * change, each failure counted ({@code postwarden_ban_exports_total{target="nftables",result="error"}}) and shown by
 * {@code postwarden_ban_export_failing{target="nftables"}}. Not thread-safe (one thread ticks).
 */
public final class NftablesExporter {
    private static final Logger LOG = LoggerFactory.getLogger(NftablesExporter.class);
    /** How soon a failed batch is tried again when the bans do not change meanwhile. */
    static final Duration RETRY = Duration.ofSeconds(30);
    private static final int MAX_COMMANDS_PER_TICK = 100;
    private final Engine engine;
    private final PostwardenMetrics metrics;
    private final TimeSource time;
    private final CommandRunner runner;
    private final AtomicInteger failingGauge = new AtomicInteger();
    // the sets
    private List<NftablesSets.Element> attempted;
    private PostwardenConfig.Nftables attemptedWith;
    private Engine.BanList lastInput;
    private PostwardenConfig lastConfig;
    private boolean failing;
    private long retryAt;
    private long resyncAt;
    // the per-ban command
    private final Map<ClientKey, Long> pushed = new HashMap<>();
    private final Set<String> pushedPermanent = new HashSet<>();
    private final Set<String> notPushed = new HashSet<>();
    private boolean commandFailing;

    public NftablesExporter(Engine engine, PostwardenMetrics metrics, TimeSource time, CommandRunner runner) {
        this.engine = engine;
        this.metrics = metrics;
        this.time = time;
        this.runner = runner;
        io.micrometer.core.instrument.Gauge.builder("postwarden.ban.export.failing", failingGauge, AtomicInteger::get)
                .description("1 while the last nftables export failed, else 0").tags("target", "nftables")
                .register(metrics.registry());
    }

    /** Whether {@code bans.export} wants this exporter at all. */
    static boolean wanted(PostwardenConfig.BanExport x) {
        return x.nftables().enabled() || !x.nftablesCommand().isEmpty();
    }

    /** One round; returns whether a batch was run (successfully or not). Never throws. */
    public boolean tick() {
        try {
            PostwardenConfig config = engine.config();
            PostwardenConfig.BanExport cfg = config.bans().export();
            Engine.BanList bans = engine.bans();
            if (!cfg.nftablesCommand().isEmpty()) {
                perBan(config, cfg, bans.active(), bans.permanent());
            }
            return cfg.nftables().enabled() && sets(config, cfg, bans);
        } catch (RuntimeException ex) {
            LOG.error("nftables export failed", ex);
            return false;
        }
    }

    private boolean sets(PostwardenConfig config, PostwardenConfig.BanExport cfg, Engine.BanList bans) {
        long now = time.millis();
        PostwardenConfig.Nftables n = cfg.nftables();
        boolean timeDue = failing ? now >= retryAt : now >= resyncAt;
        if (!timeDue && bans.equals(lastInput) && config == lastConfig) {
            return false; // the same bans as last round: skip computing the elements
        }
        lastInput = bans;
        lastConfig = config;
        List<NftablesSets.Element> want = NftablesSets.elements(bans.active(), bans.permanent(), config, now);
        boolean changed = attempted == null || !want.equals(attempted) || !n.equals(attemptedWith);
        if (!changed && !timeDue) {
            return false;
        }
        attempted = want;
        attemptedWith = n;
        List<String> argv = new ArrayList<>(n.command());
        String outcome;
        Path file = null;
        try {
            file = Files.createTempFile("postwarden-nft-", ".nft");
            Files.writeString(file, NftablesSets.batch(n, want, now), StandardCharsets.UTF_8);
            argv.add("-f");
            argv.add(file.toString());
            CommandRunner.Result r = runner.run(argv, cfg.commandTimeout());
            outcome = r.ok() ? null : r.describe();
        } catch (IOException ex) {
            outcome = "could not run: " + ex.getMessage();
        } finally {
            if (file != null) {
                try {
                    Files.deleteIfExists(file);
                } catch (IOException ignored) {
                    // a temporary file; the next round writes another
                }
            }
        }
        if (outcome == null) {
            count("ok");
            if (failing) {
                LOG.info("nftables export works again: sets inet {} {}/{} hold {} element(s)", n.table(), n.set4(),
                        n.set6(), want.size());
            } else {
                LOG.debug("nftables sets inet {} {}/{} written: {} element(s)", n.table(), n.set4(), n.set6(),
                        want.size());
            }
            failing = false;
            failingGauge.set(0);
            resyncAt = now + n.resyncInterval().toMillis();
        } else {
            count("error");
            if (!failing) {
                LOG.warn("nftables export failed: {} {}: {}; the policy server and the milter still refuse banned "
                        + "clients; retrying every {}s and on each change of the bans, logged again when it works",
                        String.join(" ", n.command()), "-f FILE", outcome, RETRY.toSeconds());
            } else {
                LOG.debug("nftables export still failing: {}", outcome);
            }
            failing = true;
            failingGauge.set(1);
            retryAt = now + RETRY.toMillis();
        }
        return true;
    }

    /**
     * {@code bans.export.nftables-command}: once per new ban, nothing on expiry or unban. A ban that is or holds a
     * network of {@code networks.trusted}, {@code networks.own-addresses} or {@code allowlist.clients} (an admin's
     * ban, {@code bans.permanent}) is not pushed, with a warning: a firewall has no {@code DUNNO}, and the command
     * takes whole networks only ({@code bans.export.nftables} cuts such hosts out instead).
     */
    private void perBan(PostwardenConfig config, PostwardenConfig.BanExport cfg, List<Ban> bans,
            List<Cidr> permanent) {
        long now = time.millis();
        Map<ClientKey, Long> active = new HashMap<>();
        bans.forEach(b -> active.put(b.key(), b.untilMillis()));
        pushed.keySet().retainAll(active.keySet());
        int commands = 0;
        for (Ban b : bans) {
            if (commands >= MAX_COMMANDS_PER_TICK) {
                break;
            }
            Long done = pushed.get(b.key());
            if (done != null && done == b.untilMillis() || holdsOurs(config, b.key().cidr())) {
                continue;
            }
            String element = b.key().cidr() + (b.permanent() ? ""
                    : " timeout " + Math.max(1, (b.untilMillis() - now + 999) / 1000) + "s");
            if (run(expand(cfg.nftablesCommand(), element, b.key().v6()), cfg.commandTimeout())) {
                pushed.put(b.key(), b.untilMillis());
            }
            commands++;
        }
        for (Cidr c : permanent) {
            if (commands >= MAX_COMMANDS_PER_TICK) {
                break;
            }
            String net = c.toString();
            if (pushedPermanent.contains(net) || holdsOurs(config, net)) {
                continue;
            }
            if (run(expand(cfg.nftablesCommand(), net, c.network().getAddress().length == 16),
                    cfg.commandTimeout())) {
                pushedPermanent.add(net);
            }
            commands++;
        }
    }

    /** Whether {@code net} is or holds one of our networks; warns once per network when it does. */
    private boolean holdsOurs(PostwardenConfig config, String net) {
        List<String> ours = BanExporter.protectedWithin(config, List.of(net));
        if (ours.isEmpty()) {
            return false;
        }
        if (notPushed.size() < 10_000 && notPushed.add(net)) {
            LOG.warn("not running bans.export.nftables-command for the ban of {}: it holds {} (networks.trusted, "
                    + "networks.own-addresses or allowlist.clients), which are never refused; bans.export.nftables "
                    + "cuts them out of the sets instead", net, ours);
        }
        return true;
    }

    static List<String> expand(List<String> argv, String element, boolean v6) {
        List<String> out = new ArrayList<>(argv.size());
        for (String a : argv) {
            out.add(a.replace("${element}", element).replace("${family}", v6 ? "v6" : "v4"));
        }
        return out;
    }

    private boolean run(List<String> argv, Duration timeout) {
        String outcome;
        try {
            CommandRunner.Result r = runner.run(argv, timeout);
            outcome = r.ok() ? null : r.describe();
        } catch (IOException ex) {
            outcome = "could not run: " + ex.getMessage();
        }
        if (outcome == null) {
            count("ok");
            if (commandFailing) {
                LOG.info("nftables command works again: {}", argv);
            }
            commandFailing = false;
            return true;
        }
        count("error");
        if (!commandFailing) {
            LOG.warn("nftables command {} failed: {}; logged again when it works", argv, outcome);
        }
        commandFailing = true;
        return false;
    }

    private void count(String result) {
        Counter.builder("postwarden.ban.exports").description("Ban exports: cidr map writes and commands")
                .tags("target", "nftables", "result", result).register(metrics.registry()).increment();
    }
}
