package org.postwarden.bench;

import org.postwarden.config.ConfigException;
import org.postwarden.config.PostwardenConfig;
import org.postwarden.config.load.ConfigLoader;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** The configurations the benchmarks run with. */
public final class BenchConfig {
    /** Class-path copy of {@code benchmarks/config/bench-daemon.yaml}. */
    public static final String DAEMON_RESOURCE = "/org/postwarden/bench/bench-daemon.yaml";

    private BenchConfig() {
    }

    /**
     * {@code "default"}: the embedded default with only the workload's local domains added
     * ({@link Workload#LOCAL_DOMAINS_YAML}); {@code "high"}: {@code bench-daemon.yaml}, the load benchmark's daemon
     * config (limits 1000x the default); {@code "embedded"}: {@link ConfigLoader#loadDefault()} unchanged.
     */
    public static PostwardenConfig load(String name) {
        try {
            return switch (name) {
                case "embedded" -> ConfigLoader.loadDefault();
                case "default" -> ConfigLoader.load("default + local domains", Workload.LOCAL_DOMAINS_YAML);
                case "high" -> ConfigLoader.load(DAEMON_RESOURCE, resource(DAEMON_RESOURCE));
                default -> throw new IllegalArgumentException("unknown config " + name
                        + " (expected: embedded, default, high)");
            };
        } catch (ConfigException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    static String resource(String path) {
        try (InputStream in = BenchConfig.class.getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + path);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
