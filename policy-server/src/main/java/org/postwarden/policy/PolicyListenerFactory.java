package org.postwarden.policy;

import org.postwarden.runtime.DaemonContext;
import org.postwarden.runtime.Listener;
import org.postwarden.runtime.ListenerFactory;

import java.util.Optional;

/** Registers the policy listener with the daemon (ServiceLoader) when {@code policy.enabled} is true. */
public final class PolicyListenerFactory implements ListenerFactory {
    @Override
    public Optional<Listener> create(DaemonContext context) {
        return context.startConfig().policy().enabled() ? Optional.of(new PolicyListener(context)) : Optional.empty();
    }
}
