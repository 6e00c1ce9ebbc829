/**
 * The syslog receiver: UDP datagrams and TCP streams (RFC 6587 octet counting or newline framing) carrying RFC 3164
 * or RFC 5424 messages, from rsyslog or a container runtime's syslog log driver.
 *
 * <p>Thread-safety: one Netty event-loop thread ({@code org.postwarden.transport}'s server, sender limit and idle
 * close); per-connection frame decoders, one shared handler. Parsing and
 * recording are in-memory and non-blocking; no file or DNS I/O runs on the loop. Limits: messages over
 * {@code ingest.syslog.max-message-bytes} are dropped (UDP) or skipped (TCP); a bad octet count closes that TCP
 * connection; at most {@code ingest.syslog.max-connections} TCP senders. There is no authentication: keep it on
 * loopback or behind a firewall.
 */
package org.postwarden.ingest.syslog;
