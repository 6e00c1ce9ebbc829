/**
 * The runnable daemon: the {@code postwarden} command line ({@code run}, {@code check-config}, {@code ctl}, ...), the
 * HTTP listener for health, metrics, the admin API ({@link org.postwarden.app.AdminApi}, bearer token from
 * {@link org.postwarden.app.AdminAuth}) and the web console ({@link org.postwarden.app.Console}), configuration reloads ({@link org.postwarden.app.ReloadCoordinator}: SIGHUP
 * and {@code POST /admin/reload}), and signal handling ({@link org.postwarden.app.Signals}: SIGHUP reloads, SIGTERM
 * stops gracefully with exit status 0).
 *
 * <p>Thread-safety: the HTTP listener runs on Netty's HTTP codec with one event loop of its own (connection caps,
 * request deadline); health, readiness and metrics are answered on it, admin and console work on a small bounded
 * worker pool, never on the event loop; reloads are serialized; signal handlers run on threads the JDK starts per signal. Known limits: the HTTP
 * listener serves no TLS (keep it on loopback or behind a proxy; the admin API refuses non-loopback clients unless
 * {@code admin.allow-remote}); SIGHUP needs the JDK's {@code sun.misc.Signal} (reached by reflection), else use
 * {@code ctl reload}; listen addresses and listener sizes change only with a restart.
 */
package org.postwarden.app;
