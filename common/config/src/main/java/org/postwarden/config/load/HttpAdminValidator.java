package org.postwarden.config.load;

import org.postwarden.config.PostwardenConfig;

import java.time.Duration;

/** The {@code http:} section (the listener for metrics, health and the admin API) and the {@code admin:} section. */
final class HttpAdminValidator {
    private HttpAdminValidator() {
    }

    static void http(PostwardenConfig.Http h, Problems p) {
        p.hostPort("http.listen", h.listen());
        p.wholeNumber("http.max-connections", h.maxConnections(), 1, 100_000);
        p.wholeNumber("http.max-connections-per-source", h.maxConnectionsPerSource(), 1, 100_000);
        p.duration("http.request-timeout", h.requestTimeout(), Duration.ofMillis(100), Duration.ofMinutes(5));
        p.duration("http.idle-timeout", h.idleTimeout(), Duration.ofSeconds(1), Duration.ofHours(1));
        p.duration("http.console-session", h.consoleSession(), Duration.ofMinutes(1), Duration.ofDays(7));
    }

    static void admin(PostwardenConfig.Admin a, Problems p) {
        p.filePath("admin.token-file", a.tokenFile(), "a file path, or \"\" to disable the admin API");
    }
}
