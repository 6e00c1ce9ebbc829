package org.postwarden.milter;

import org.postwarden.runtime.DaemonContext;
import org.postwarden.runtime.Listener;
import org.postwarden.runtime.ListenerFactory;

import java.util.Optional;

/** Registers the milter listener with the daemon (ServiceLoader) when {@code milter.enabled} is true. */
public final class MilterListenerFactory implements ListenerFactory {
    @Override
    public Optional<Listener> create(DaemonContext context) {
        return context.startConfig().milter().enabled() ? Optional.of(new MilterListener(context)) : Optional.empty();
    }
}
