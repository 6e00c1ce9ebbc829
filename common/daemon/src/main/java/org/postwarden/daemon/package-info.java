/**
 * The daemon's skeleton: {@link org.postwarden.daemon.Daemon} wires configuration, store, engine and listeners;
 * protocol modules contribute {@link org.postwarden.runtime.Listener}s through
 * {@link org.postwarden.runtime.ListenerFactory} (Java {@link java.util.ServiceLoader}), so {@code common} never
 * depends on a protocol module. All state is the store's and is persisted by its snapshot, the outbound guard's
 * profiles and suspensions included; an outbound state file of an earlier version ({@code outbound.state-path}) is
 * imported once at start, after the snapshot is restored, and renamed.
 *
 * <p>Thread-safety: {@link org.postwarden.runtime.DaemonContext} publishes the current engine through an atomic
 * reference, so a reload swaps it without stopping listeners. Known limits: listeners are started in discovery
 * order; one failing to bind stops the start-up with its error.
 */
package org.postwarden.daemon;
