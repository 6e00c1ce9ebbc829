/**
 * Configuration: immutable records bound from YAML (Jackson), validated once. A user file is laid over the embedded
 * default ({@code config/postwarden.yaml}, packaged as {@code org/postwarden/config/postwarden.yaml}) so every key
 * has exactly one default, and it is the documented one.
 *
 * <p>Errors name the key path, the value, what was expected and the line in the user's file; all semantic errors
 * are collected and reported together. Thread-safety: records are immutable; {@link org.postwarden.config.load.ConfigLoader}
 * is stateless. Known limits: a YAML syntax error stops at the first one (the parser cannot go on).
 */
package org.postwarden.config;
