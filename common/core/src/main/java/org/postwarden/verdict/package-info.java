/**
 * What the engine decides: a {@link org.postwarden.verdict.Verdict} (a small fixed set of outcomes), the
 * {@link org.postwarden.verdict.Finding}s that led to it, and the {@link org.postwarden.verdict.Decision} that carries
 * both. Protocol adapters map verdicts to their wire replies in one place each.
 *
 * <p>Thread-safety: immutable values. Known limits: reply texts are plain ASCII chosen by the engine; adapters must
 * still strip CR/LF before writing them to the wire.
 */
package org.postwarden.verdict;
