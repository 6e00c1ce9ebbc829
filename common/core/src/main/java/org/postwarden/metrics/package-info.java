/**
 * Metric names and the one place that records them. Labels are bounded by construction: stages, actions, reasons,
 * signals and listener names come from enums or fixed strings, never from client input (no IP, no user).
 *
 * <p>Thread-safety: Micrometer meters are thread-safe; meters are cached per label combination.
 */
package org.postwarden.metrics;
