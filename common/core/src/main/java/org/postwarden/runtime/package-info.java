/**
 * The listener SPI: what a protocol module implements ({@link org.postwarden.runtime.Listener},
 * {@link org.postwarden.runtime.ListenerFactory}) and what it gets from the daemon
 * ({@link org.postwarden.runtime.DaemonContext}: the engine, metrics, time, the start-up config).
 *
 * <p>Thread-safety: the context is safe from any thread. Known limits: listen addresses and sizes are read once at
 * start; a reload does not move a listener.
 */
package org.postwarden.runtime;
