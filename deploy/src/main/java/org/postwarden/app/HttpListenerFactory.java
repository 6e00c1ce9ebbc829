package org.postwarden.app;

import org.postwarden.api.Suspensions;
import org.postwarden.runtime.DaemonContext;
import org.postwarden.runtime.Listener;
import org.postwarden.runtime.ListenerFactory;

import java.util.Optional;

/**
 * Registers the HTTP listener when {@code http.enabled} is true. Found by {@link java.util.ServiceLoader} (then
 * without reload support); {@code postwarden run} replaces that instance with one that carries the reload
 * coordinator, the outbound suspensions and the operations metrics.
 */
public final class HttpListenerFactory implements ListenerFactory {
    private final ReloadCoordinator reloads;
    private final Suspensions suspensions;
    private final OpsMetrics ops;

    public HttpListenerFactory() {
        this(null, Suspensions.NONE, null);
    }

    public HttpListenerFactory(ReloadCoordinator reloads, Suspensions suspensions, OpsMetrics ops) {
        this.reloads = reloads;
        this.suspensions = suspensions;
        this.ops = ops;
    }

    @Override
    public Optional<Listener> create(DaemonContext context) {
        return context.startConfig().http().enabled()
                ? Optional.of(new HttpListener(context, reloads, suspensions, ops)) : Optional.empty();
    }
}
