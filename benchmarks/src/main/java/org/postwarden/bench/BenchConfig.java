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

    /**
     * The DNSBL zones of {@link DnsblBenchmark} and {@link DnsblOverhead} ({@link StaticResolver#forWorkload} answers
     * for them): two client-IP zones with three entries, one RHSBL zone for HELO names and sender domains, TTLs 1h.
     */
    public static final String DNSBL_YAML = """
            dnsbl:
              enabled: true
              resolver: 127.0.0.1:53
              cache: {size: 2000000, min-ttl: 1h, max-ttl: 1h}
              zones:
                - bl.bench.test=127.0.0.[10;11]*8
                - bl.bench.test=127.0.0.[2..9]*6
                - wl.bench.test=127.0.[0..255].[1..3]*-5
              rhsbl-helo:
                - dbl.bench.test=127.0.1.[2..99]*4
              rhsbl-sender:
                - dbl.bench.test=127.0.1.[2..99]*4
            """;

    private BenchConfig() {
    }

    /**
     * {@code "default"}: the embedded default with only the workload's local domains added
     * ({@link Workload#LOCAL_DOMAINS_YAML}); {@code "high"}: {@code bench-daemon.yaml}, the load benchmark's daemon
     * config (limits 1000x the default); {@code "dnsbl"}: {@code "high"} with the zones of {@link #DNSBL_YAML};
     * {@code "embedded"}: {@link ConfigLoader#loadDefault()} unchanged.
     */
    public static PostwardenConfig load(String name) {
        try {
            return switch (name) {
                case "embedded" -> ConfigLoader.loadDefault();
                case "default" -> ConfigLoader.load("default + local domains", Workload.LOCAL_DOMAINS_YAML);
                case "high" -> ConfigLoader.load(DAEMON_RESOURCE, resource(DAEMON_RESOURCE));
                case "dnsbl" -> ConfigLoader.load("bench-daemon.yaml + dnsbl",
                        resource(DAEMON_RESOURCE) + DNSBL_YAML);
                default -> throw new IllegalArgumentException("unknown config " + name
                        + " (expected: embedded, default, high, dnsbl)");
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
