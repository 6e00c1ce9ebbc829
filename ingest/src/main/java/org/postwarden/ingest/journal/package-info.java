/**
 * The systemd journal as a log source ({@code ingest.journal}): {@link org.postwarden.ingest.journal.JournalFollower}
 * runs journalctl with JSON output, accepts an entry only when journald's trusted fields name a Postfix or Dovecot
 * process, hands it to the same parsers as files and syslog, and keeps journald's cursor for a restart.
 *
 * <p>Thread-safety: one follower runs on one thread (the ingest journal thread); {@code close} from any thread.
 * Known limits: entries rotated away while the daemon was down are lost; an over-long entry is skipped.
 */
package org.postwarden.ingest.journal;
