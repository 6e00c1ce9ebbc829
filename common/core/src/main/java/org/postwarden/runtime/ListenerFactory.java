package org.postwarden.runtime;

import java.util.Optional;

/** Service-provider interface: a protocol module creates its listener when its configuration enables it. */
public interface ListenerFactory {

    /** Returns the listener, or empty when disabled in the configuration. */
    Optional<Listener> create(DaemonContext context);
}
