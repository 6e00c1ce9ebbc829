package org.postwarden.app;

import org.postwarden.runtime.DaemonContext;
import org.postwarden.runtime.Listener;
import org.postwarden.runtime.ListenerFactory;

import java.util.Optional;

/** Registers the HTTP listener when {@code http.enabled} is true. */
public final class HttpListenerFactory implements ListenerFactory {
    @Override
    public Optional<Listener> create(DaemonContext context) {
        return context.startConfig().http().enabled() ? Optional.of(new HttpListener(context)) : Optional.empty();
    }
}
