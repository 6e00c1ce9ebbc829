/**
 * Translation only: the session's state to {@link org.postwarden.model.MailEvent}
 * ({@link org.postwarden.milter.mapping.MilterEventMapper}), verdicts to milter replies
 * ({@link org.postwarden.milter.mapping.MilterReplyMapper}), and the report header's value.
 *
 * <p>Thread-safety: stateless. Limits: a tag or hold decided before the end of the message can only be applied at
 * the end of the message (the milter protocol allows header changes and quarantine nowhere else); when the policy
 * server is wired too, its PREPEND and the milter's header may both appear.
 */
package org.postwarden.milter.mapping;
