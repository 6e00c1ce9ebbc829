/**
 * Loading the configuration: {@link org.postwarden.config.load.ConfigLoader} lays the user's YAML file over the
 * embedded default, binds the result to the records of {@link org.postwarden.config.PostwardenConfig} and validates
 * it once. Validation has one class per section ({@code PolicySectionValidator}, {@code MilterSectionValidator},
 * {@code HttpAdminValidator}, {@code StoreLimitsValidator}, {@code NetworksValidator}, {@code ChecksHeloValidator},
 * {@code ScoringValidator}, {@code DnsblValidator}, {@code IngestValidator}, {@code BansValidator},
 * {@code OutboundValidator}); {@code ConfigValidator} runs them in a fixed order, which is the order errors are
 * reported in, and {@code Problems} collects the errors and holds the checks they share (host:port, CIDR lists,
 * duration and number ranges, file paths, header names, counter windows); {@code Limits} holds the listener limits
 * several sections share (request deadline, buffered-input budget, queued replies). Every error names the key, the value,
 * the line in the user's file where known, and what was expected; all errors of a file are reported together in
 * one {@link org.postwarden.config.ConfigException}. Cross-section rules live with the section whose key is
 * reported: the milter's identical-message windows and the limit windows against {@code store.idle-expiry}, the
 * DNSBL wait against the listeners' time budgets.
 *
 * <p>Thread-safety: {@code ConfigLoader} is stateless and may be used from any thread; the validators are
 * stateless, and one {@code Problems} serves one validation run on the calling thread.
 *
 * <p>Known limits: a YAML syntax error stops at the first one (the parser cannot go on), and so does a value of the
 * wrong type (binding stops, so no semantic check runs until it is fixed); unknown keys are all reported. Keys
 * taken from the embedded default have no line number. Values are shown cut to 80 characters, and never for
 * secrets (the DQS key). Addresses must be IP literals, not host names. Files named in the configuration are not
 * checked for existence, except the DQS key file, which is read when {@code dnsbl.enabled} is true. User files
 * larger than 4 MiB are refused.
 */
package org.postwarden.config.load;
