package org.postwarden.ingest;

import org.postwarden.runtime.DaemonContext;
import org.postwarden.runtime.Listener;
import org.postwarden.runtime.ListenerFactory;

import java.util.Optional;

/** Registers log ingestion with the daemon (ServiceLoader) when {@code ingest:} names a source. */
public final class LogIngestListenerFactory implements ListenerFactory {
    @Override
    public Optional<Listener> create(DaemonContext context) {
        return LogIngestListener.wanted(context.startConfig()) ? Optional.of(new LogIngestListener(context))
                : Optional.empty();
    }
}
