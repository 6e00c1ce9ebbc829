/**
 * {@code postwarden ctl}: the admin CLI over the daemon's admin API ({@code /admin/...} on the HTTP listener).
 * It finds the API's URL and the bearer token file in the daemon's configuration ({@code --config}, or the embedded
 * default: {@code http://127.0.0.1:10035}, {@code admin.token} in the state directory, the directory of
 * {@code store.snapshot.path}) unless {@code --url}/{@code --token-file} say otherwise. Output is human-readable tables by default, the API's JSON with {@code --json}.
 *
 * <p>Exit status: 0 done; 1 the daemon refused or failed (the message says why, e.g. a reload with an invalid
 * config); 2 usage error; 3 the daemon cannot be reached or the token cannot be read. Thread-safety: a CLI run is
 * single-threaded. Known limits: plain HTTP only (the admin API is meant for loopback); every call is bounded by
 * {@code --timeout}.
 */
package org.postwarden.app.ctl;
