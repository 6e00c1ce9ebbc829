package org.postwarden.authpolicy;

import org.postwarden.runtime.DaemonContext;
import org.postwarden.runtime.Listener;
import org.postwarden.runtime.ListenerFactory;

import java.util.Optional;

/** Registers the auth-policy listener with the daemon (ServiceLoader) when {@code auth-policy.enabled} is true. */
public final class AuthPolicyListenerFactory implements ListenerFactory {
    @Override
    public Optional<Listener> create(DaemonContext context) {
        return context.startConfig().authPolicy().enabled() ? Optional.of(new AuthPolicyListener(context))
                : Optional.empty();
    }
}
