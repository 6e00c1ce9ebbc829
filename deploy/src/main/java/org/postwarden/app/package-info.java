/**
 * The runnable daemon: the {@code postwarden} command line ({@code run}, {@code check-config}, ...), the HTTP
 * listener for health and metrics, and signal handling (SIGTERM: graceful stop).
 *
 * <p>Thread-safety: the HTTP listener uses the JDK's server with a small fixed pool, never a Netty event loop.
 * Known limits: the HTTP listener serves no TLS; keep it on loopback or behind a proxy.
 */
package org.postwarden.app;
