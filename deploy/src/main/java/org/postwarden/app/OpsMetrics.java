package org.postwarden.app;

import org.postwarden.metrics.PostwardenMetrics;

import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The operations metrics of the runnable daemon, next to the shared ones:
 * <ul>
 * <li>{@code postwarden_http_requests_total{endpoint,code}} — HTTP requests answered, by endpoint (a fixed set:
 * healthz, readyz, metrics, admin/&lt;name&gt;, ui (the console), other) and status code;</li>
 * <li>{@code postwarden_reloads_total{trigger,result}} — configuration reloads by trigger (signal, admin) and result
 * (ok, invalid, error);</li>
 * <li>{@code postwarden_config_last_reload_successful} — 1 when the last reload succeeded (or none was tried), else 0;</li>
 * <li>{@code postwarden_config_last_reload_success_timestamp_seconds} — when the running configuration was loaded;</li>
 * <li>{@code postwarden_build_info{version}} — always 1.</li>
 * </ul>
 * Labels come from fixed sets; an unknown endpoint is counted as "other". Thread-safe.
 */
public final class OpsMetrics {
    /** Endpoint labels; anything else is "other". */
    static final Set<String> ENDPOINTS = Set.of("healthz", "readyz", "metrics", "admin/status", "admin/explain",
            "admin/bans", "admin/reload", "admin/release", "admin/report", "admin/ack-corrupt", "admin/other", "ui",
            "other");
    private final PostwardenMetrics shared;
    private final AtomicLong lastReloadOk = new AtomicLong(1);
    private final AtomicLong lastSuccessMillis = new AtomicLong(System.currentTimeMillis());

    public OpsMetrics(PostwardenMetrics shared, String version) {
        this.shared = shared;
        shared.gauge("postwarden.config.last.reload.successful",
                "1 when the last configuration reload succeeded (or none was tried), 0 when it was refused",
                lastReloadOk::get);
        shared.gauge("postwarden.config.last.reload.success.timestamp.seconds",
                "When the running configuration was loaded (start or last successful reload), Unix seconds",
                () -> lastSuccessMillis.get() / 1000.0);
        shared.gauge("postwarden.build.info", "Always 1; the version is a label", () -> 1, "version", version);
    }

    void http(String endpoint, int code) {
        String e = ENDPOINTS.contains(endpoint) ? endpoint : "other";
        String c = code >= 100 && code <= 599 ? Integer.toString(code) : "other";
        shared.counter("postwarden.http.requests", "HTTP requests answered, by endpoint and status code",
                "endpoint", e, "code", c).increment();
    }

    void reload(String trigger, String result, long nowMillis) {
        shared.counter("postwarden.reloads", "Configuration reloads by trigger and result", "trigger", trigger,
                "result", result).increment();
        boolean ok = "ok".equals(result);
        lastReloadOk.set(ok ? 1 : 0);
        if (ok) {
            lastSuccessMillis.set(nowMillis);
        }
    }
}
