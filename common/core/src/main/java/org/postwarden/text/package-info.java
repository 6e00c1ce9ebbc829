/**
 * Safe text for logs: escaping and truncation of client-supplied bytes (Postfix's {@code escape()} and {@code %.100s}
 * habit), shared by every wire codec and every log line that quotes a client.
 *
 * <p>Thread-safety: stateless. Known limits: escapes for a log line, not for HTML or a shell.
 */
package org.postwarden.text;
