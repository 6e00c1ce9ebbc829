/**
 * The engine decides: it turns a {@link org.postwarden.model.MailEvent} into a
 * {@link org.postwarden.verdict.Decision}. It records the event in the store (once per connection, message and
 * recipient), runs one {@link org.postwarden.engine.Check} per concern, applies signal weights to scores, combines
 * the findings by severity and honours global and per-check dry-run.
 *
 * <p>Thread-safety: {@link org.postwarden.engine.DecisionEngine} is immutable and safe for concurrent use; it never
 * blocks (store operations are short, in-memory). Known limits: checks are synchronous; a check that needs I/O must
 * finish it before the synchronous phase (see {@code DecisionEngine#decide}).
 */
package org.postwarden.engine;
