package org.postwarden.config.load;

import org.postwarden.config.PostwardenConfig;

/** The {@code http:} section (the listener for metrics, health and the admin API) and the {@code admin:} section. */
final class HttpAdminValidator {
    private HttpAdminValidator() {
    }

    static void http(PostwardenConfig.Http h, Problems p) {
        p.hostPort("http.listen", h.listen());
    }

    static void admin(PostwardenConfig.Admin a, Problems p) {
        p.filePath("admin.token-file", a.tokenFile(), "a file path, or \"\" to disable the admin API");
    }
}
