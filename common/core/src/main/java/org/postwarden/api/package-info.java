/**
 * The engine API: the one way into the core ({@link org.postwarden.api.Engine}), and what crosses it besides the
 * model (log signals, delivery results, ban outcomes, suspensions for the admin side).
 *
 * <p>Thread-safety: every type here is immutable or documents its own contract. Known limits: none of these types
 * knows a wire format; adapters translate.
 */
package org.postwarden.api;
