/**
 * Auth-policy requests ⇄ engine terms: Dovecot's JSON fields to an {@link org.postwarden.api.AuthAttempt}, an
 * {@link org.postwarden.api.AuthVerdict} to the reply. Pure functions, thread-safe. Known limits: only the fields of
 * Dovecot's default template (and {@code success}, {@code policy_reject}) are used; others are ignored.
 */
package org.postwarden.authpolicy.mapping;
