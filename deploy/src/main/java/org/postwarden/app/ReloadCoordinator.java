package org.postwarden.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.ToStringSerializer;
import org.postwarden.config.ConfigException;
import org.postwarden.config.PostwardenConfig;
import org.postwarden.config.load.ConfigLoader;
import org.postwarden.daemon.Daemon;
import org.postwarden.model.TimeSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * Reloads the configuration from where it came from (the {@code --config} file laid over the embedded default, or
 * the embedded default alone) on SIGHUP and on {@code POST /admin/reload}. An invalid file is refused with every
 * error (logged, and returned to the caller) and the running configuration stays; a valid one goes to
 * {@link Daemon#reload}, which swaps the engine without dropping a connection and keeps the store's state. Settings
 * that listeners read only at start (listen addresses, connection and size limits) keep their start-up values until
 * a restart; a reload that changes them succeeds with a warning naming each key.
 *
 * <p>Thread-safety: reloads are serialized (one at a time, whatever triggers them); {@link #last()} is safe from any
 * thread.
 */
public final class ReloadCoordinator {
    private static final Logger LOG = LoggerFactory.getLogger(ReloadCoordinator.class);
    /** Keys that listeners read once at start: changing them needs a restart. */
    static final List<String> START_ONLY = List.of(
            "policy.enabled", "policy.listen", "policy.max-line-length", "policy.max-attributes",
            "policy.max-request-bytes", "policy.idle-timeout", "policy.max-connections",
            "milter.enabled", "milter.listen", "milter.max-packet-bytes", "milter.idle-timeout",
            "milter.max-connections", "milter.fingerprint",
            "http.enabled", "http.listen", "outbound.state-path", "outbound.queue.watch");

    /**
     * The outcome of one reload.
     *
     * @param ok       whether the new configuration is running
     * @param trigger  "signal", "admin" or "start"
     * @param at       when (ISO-8601)
     * @param source   the file read, or "(embedded default)"
     * @param errors   why it was refused (empty when ok)
     * @param warnings what needs a restart to take effect
     */
    public record Result(boolean ok, String trigger, String at, String source, List<String> errors,
            List<String> warnings) {
    }

    private static final ObjectMapper KEBAB = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.KEBAB_CASE)
            .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
            .addModule(new SimpleModule().addSerializer(Duration.class, ToStringSerializer.instance))
            .build();

    private final Path configFile;
    private final TimeSource time;
    private final OpsMetrics metrics;
    private final List<Consumer<PostwardenConfig>> listeners = new CopyOnWriteArrayList<>();
    private volatile Daemon daemon;
    private volatile Result last;

    /**
     * @param configFile the {@code --config} file, or null for the embedded default
     */
    public ReloadCoordinator(Path configFile, TimeSource time, OpsMetrics metrics) {
        this.configFile = configFile;
        this.time = time;
        this.metrics = metrics;
    }

    /** The daemon to reload; reloads before this answer "not started". */
    public void attach(Daemon d) {
        this.daemon = d;
    }

    /** The running daemon, or null before {@link #attach}. */
    public Daemon daemon() {
        return daemon;
    }

    /** Runs {@code l} with every configuration that a reload has applied (e.g. to re-read the admin token). */
    public void onReload(Consumer<PostwardenConfig> l) {
        listeners.add(l);
    }

    public String source() {
        return configFile == null ? "(embedded default)" : configFile.toString();
    }

    /** The last reload's outcome, or null when none was tried since start. */
    public Result last() {
        return last;
    }

    /** Reloads now; {@code trigger} is "signal" or "admin" (a metric label). Never throws. */
    public synchronized Result reload(String trigger) {
        String at = Instant.ofEpochMilli(time.millis()).toString();
        Daemon d = daemon;
        Result r;
        if (d == null) {
            r = new Result(false, trigger, at, source(), List.of("the daemon has not finished starting"), List.of());
            metrics.reload(trigger, "error", time.millis());
        } else {
            r = apply(d, trigger, at);
        }
        last = r;
        return r;
    }

    private Result apply(Daemon d, String trigger, String at) {
        LOG.info("reloading configuration from {} ({})", source(), trigger);
        PostwardenConfig next;
        try {
            next = configFile == null ? ConfigLoader.loadDefault() : ConfigLoader.load(configFile);
        } catch (ConfigException e) {
            LOG.error("configuration reload refused, the running configuration stays: {}", e.getMessage());
            metrics.reload(trigger, "invalid", time.millis());
            return new Result(false, trigger, at, source(), e.errors(), List.of());
        }
        List<String> warnings = restartNeeded(d.context().startConfig(), next);
        try {
            d.reload(next);
        } catch (Exception e) {
            LOG.error("configuration reload failed, the running configuration stays", e);
            metrics.reload(trigger, "error", time.millis());
            return new Result(false, trigger, at, source(), List.of("reload failed: " + e), List.of());
        }
        for (Consumer<PostwardenConfig> l : listeners) {
            try {
                l.accept(next);
            } catch (RuntimeException e) {
                LOG.error("after reload: {}", e.toString(), e);
                warnings.add("after reload: " + e);
            }
        }
        for (String w : warnings) {
            LOG.warn("reload: {}", w);
        }
        metrics.reload(trigger, "ok", time.millis());
        return new Result(true, trigger, at, source(), List.of(), List.copyOf(warnings));
    }

    /** Keys of {@link #START_ONLY} whose value differs between {@code running} and {@code next}. */
    static List<String> restartNeeded(PostwardenConfig running, PostwardenConfig next) {
        JsonNode a = KEBAB.valueToTree(running);
        JsonNode b = KEBAB.valueToTree(next);
        List<String> out = new ArrayList<>();
        for (String key : START_ONLY) {
            String ptr = "/" + key.replace('.', '/');
            JsonNode x = a.at(ptr);
            JsonNode y = b.at(ptr);
            if (!Objects.equals(x, y)) {
                out.add(key + " changed (" + text(x) + " -> " + text(y) + "): takes effect after a restart");
            }
        }
        return out;
    }

    private static String text(JsonNode n) {
        return n.isMissingNode() ? "unset" : n.isValueNode() ? n.asText() : n.toString();
    }
}
