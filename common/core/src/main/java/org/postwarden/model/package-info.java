/**
 * The vocabulary shared by every listener: SMTP stages, client and user keys, and {@link org.postwarden.model.MailEvent},
 * the one shape every protocol adapter translates its input into; {@link org.postwarden.model.Addresses}, the one way
 * addresses are printed (RFC 5952, as Postfix writes them).
 *
 * <p>Thread-safety: every type here is immutable. Known limits: IPv4-mapped IPv6 addresses are treated as IPv4;
 * zone ids of link-local IPv6 addresses are dropped.
 */
package org.postwarden.model;
