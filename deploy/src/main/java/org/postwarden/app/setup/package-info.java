/**
 * {@code postwarden setup postfix|dovecot}: wires Postwarden into a live Postfix ({@code postconf -e}, with a
 * backup, {@code postfix check} and {@code --undo}) or Dovecot (a conf.d file, checked with {@code doveconf}).
 * Command-line tools, run by an admin: they block on child processes and never run inside the daemon.
 */
package org.postwarden.app.setup;
