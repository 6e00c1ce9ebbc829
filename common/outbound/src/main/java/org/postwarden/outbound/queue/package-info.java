/**
 * The Postfix queue side of the outbound guard: {@link org.postwarden.outbound.queue.QueueCommands} runs
 * {@code postqueue -j} and {@code postsuper -h/-H/-d} (argv, no shell, queue ids checked and written on standard
 * input, killed at {@code command-timeout}), {@link org.postwarden.outbound.queue.QueueListingParser} reads the
 * JSON listing, and {@link org.postwarden.outbound.queue.QueueWatcher} schedules the polls: each listing is measured
 * ({@code QueueMeasurement}: depth, oldest age, growth, top sender share, published as
 * {@link org.postwarden.outbound.queue.QueueStats} and gauges), compared with the alert thresholds
 * ({@code QueueAlertPolicy}), and the messages of suspended senders
 * ({@link org.postwarden.outbound.queue.HoldTargets}) are put on hold ({@code QueueHolder}); repeated failures are
 * logged once per streak ({@code FailureStreak}). Like anvil and smtpd, the watcher only measures and compares
 * with thresholds; who is suspended is decided elsewhere.
 *
 * <p>Thread-safety: the parser and the commands are stateless and safe for concurrent use; the measurement is a
 * pure function of a listing; the alert policy, the holder and the failure streaks keep state that only the
 * watcher's poll touches, one poll at a time; the watcher publishes its figures through a volatile snapshot.
 * Everything that runs a command <b>blocks</b> on a child process: call it from a scheduler or worker thread, never
 * from an event loop.
 *
 * <p>Known limits: a listing keeps at most {@code max-messages} entries, and at most 64 MiB of them by their
 * estimated size (later ones are counted, not parsed: the
 * per-queue gauges and the sender share miss them, the depth and growth figures count them as outside hold); a
 * line over 1 MiB is dropped as malformed. The queue changes while {@code postqueue} lists it, so a message may be
 * missed or listed twice. A queue id is at most
 * {@value org.postwarden.outbound.queue.QueueCommands#MAX_QUEUE_ID_LENGTH} letters and digits. A command that
 * leaves a child holding its output open past the timeout leaves a reader thread behind until that child exits.
 * Of standard error only the first lines are kept. Growth is measured between two successful polls, so it is 0
 * after the first one. Alert and failure-streak state lives in memory: a restart may alert again at once.
 */
package org.postwarden.outbound.queue;
