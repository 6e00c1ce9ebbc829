package org.postwarden.app;

import org.postwarden.api.Suspensions;
import org.postwarden.runtime.DaemonContext;

/** The web console under {@code /ui/}. */
final class Console {
    Console(DaemonContext context, AdminAuth auth, ReloadCoordinator reloads, Suspensions suspensions, OpsMetrics ops,
            AdminApi admin) {
    }

    HttpAnswer handle(HttpCall c) {
        return HttpAnswer.text(404, "not found\n");
    }

    void close() {
    }
}
