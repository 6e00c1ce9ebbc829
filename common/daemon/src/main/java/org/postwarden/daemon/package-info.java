/**
 * The daemon's skeleton: {@link org.postwarden.daemon.Daemon} wires configuration, store, engine and listeners;
 * protocol modules contribute {@link org.postwarden.runtime.Listener}s through
 * {@link org.postwarden.runtime.ListenerFactory} (Java {@link java.util.ServiceLoader}), so {@code common} never
 * depends on a protocol module.
 *
 * <p>Thread-safety: {@link org.postwarden.runtime.DaemonContext} publishes the current engine through an atomic
 * reference, so a reload swaps it without stopping listeners. Known limits: listeners are started in discovery
 * order; one failing to bind stops the start-up with its error.
 */
package org.postwarden.daemon;
