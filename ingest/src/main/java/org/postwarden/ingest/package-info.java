/**
 * Log ingestion: reads Postfix and Dovecot logs from followed files, Docker json-file logs and a syslog receiver, and
 * turns what only logs show (PREGREET, failed logins, TLS failures, relay denials) into signals for the engine
 * ({@link org.postwarden.api.Engine#observe}; delivery results to {@link org.postwarden.api.Engine#delivered}), so
 * they change the next policy or milter verdict and lead to escalating bans. Also the ban export and {@code postwarden replay}.
 *
 * <p>Thread-safety: {@link org.postwarden.ingest.IngestPipeline} is thread-safe; files are read on one thread of
 * their own, syslog on one Netty event loop (parsing and recording only, never file or DNS I/O). Limits: sources are
 * fixed at start (a reload changes weights, thresholds and lists, not what is read).
 */
package org.postwarden.ingest;
