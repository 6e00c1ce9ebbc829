/**
 * The Netty code the protocol listeners share (policy, milter, syslog), and the only Netty code outside them. What a
 * listener adds is its protocol: codec, handler, mapping; how it is served is here.
 * <ul>
 * <li>{@link org.postwarden.transport.NettyServer}: event loops, TCP and UDP binding with one set of socket options,
 * the connection group, the graceful stop (stop accepting, wait for work in flight, close, end the loops);
 * {@link org.postwarden.transport.TcpListener}: the listener SPI on top of it for what MTAs connect to;</li>
 * <li>{@link org.postwarden.transport.ConnectionLimit}: at most N connections per listener, refused ones closed
 * before any byte is read, with the listener's metric and log line;</li>
 * <li>{@link org.postwarden.transport.IdleClose}: closes a connection idle for the configured time;
 * {@link org.postwarden.transport.RequestDeadline}: a request must be complete within a deadline of its first byte
 * (the slow client that is never idle), and what a connection holds of an unfinished request counts against the
 * listener's {@link org.postwarden.transport.InputBudget}, a bound on buffered input over all its connections;</li>
 * <li>{@link org.postwarden.transport.ReplyBackpressure}: write back-pressure, nothing read from a client while its
 * replies pile up (channel not writable, or {@code max-queued-replies} waiting), cut off past the cap; the listener's
 * totals in {@link org.postwarden.transport.QueuedReplies};</li>
 * <li>{@link org.postwarden.transport.ProtocolException} and {@link org.postwarden.transport.ConnectionErrors}:
 * broken input with a bounded reason label and an escaped sample, and what becomes of it (metric, one log line,
 * that connection closed); {@link org.postwarden.transport.StrictDecoder}: a codec decodes nothing after its first
 * error;</li>
 * <li>{@link org.postwarden.transport.TimeBudget}: a decision within the time budget on the event loop, the
 * configured fallback otherwise (never an invented OK), counted and logged.</li>
 * </ul>
 *
 * <p>Thread-safety: {@code ConnectionLimit}, {@code ConnectionErrors}, {@code TimeBudget}, {@code InputBudget} and
 * {@code QueuedReplies} are shared by all connections of a listener and lock-free; {@code IdleClose},
 * {@code RequestDeadline}, {@code ReplyBackpressure} and a {@code StrictDecoder} are one per connection;
 * {@code NettyServer} and {@code TcpListener} are started and stopped by one thread (the daemon's), never from an
 * event loop. Nothing here blocks an event loop: timers are
 * event-loop timers, and results from other threads hop back onto the connection's loop.
 *
 * <p>Known limits: NIO transport only (no native epoll); the socket options are fixed, not configurable; a
 * connection limit counts per listener and, where asked (syslog TCP), per source address; the policy and milter
 * listeners' only source is Postfix (the milter's per-client session limit lives in the engine, which sees SMTP
 * client addresses); the input budget refuses whichever connection grows at the moment it is full, not the one that
 * holds most; a bind failure stops the server's threads but does not undo what the caller set up
 * around it. May import core and Netty only (see the module's pom).
 */
package org.postwarden.transport;
