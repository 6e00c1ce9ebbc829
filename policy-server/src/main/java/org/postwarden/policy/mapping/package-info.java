/**
 * Translation only: policy attributes to {@link org.postwarden.model.MailEvent}, and
 * {@link org.postwarden.verdict.Verdict} to the policy {@code action=} text, in one place each.
 *
 * <p>Thread-safety: stateless. Known limits: PREPEND cannot run at END-OF-MESSAGE in Postfix, so a tag verdict
 * there becomes DUNNO.
 */
package org.postwarden.policy.mapping;
