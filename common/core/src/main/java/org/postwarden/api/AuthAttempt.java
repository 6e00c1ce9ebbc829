package org.postwarden.api;

import java.net.InetAddress;

/**
 * One question or report of Dovecot's authentication policy ({@code auth_policy_server_url}), as the engine sees it.
 * Produced by the auth-policy listener from Dovecot's JSON; judged by {@link Engine#authPolicy}.
 *
 * @param command       {@link Command#ALLOW} (before, or again after, the password check) or {@link Command#REPORT}
 *                      (the outcome, after it)
 * @param login         the user name the client asked for (Dovecot's {@code %{requested_username}}), or ""
 * @param pwhash        Dovecot's truncated hash of (nonce, user, password) in hex, or "": the same password of one
 *                      user gives the same value, which is all it is used for
 * @param remote        the client address ({@code %{rip}}; the forwarded address behind a trusted proxy), or null
 *                      when Dovecot sent none or one that is not an address
 * @param protocol      {@code imap}, {@code pop3}, {@code submission}, ... (free text, bounded), or ""
 * @param success       for a report: whether the login succeeded; null for {@link Command#ALLOW}
 * @param policyReject  for a report: whether this server's refusal failed it (the password was not checked)
 */
public record AuthAttempt(Command command, String login, String pwhash, InetAddress remote, String protocol,
        Boolean success, boolean policyReject) {

    public AuthAttempt {
        if (command == null) {
            throw new IllegalArgumentException("command");
        }
        login = login == null ? "" : login;
        pwhash = pwhash == null ? "" : pwhash;
        protocol = protocol == null ? "" : protocol;
    }

    /** What Dovecot asks. */
    public enum Command {
        /** {@code ?command=allow}: may this attempt go on? */
        ALLOW("allow"),
        /** {@code ?command=report}: how did it end? */
        REPORT("report");

        private final String label;

        Command(String label) {
            this.label = label;
        }

        /** The value of Dovecot's {@code command} query parameter (and the metric label). */
        public String label() {
            return label;
        }
    }

    /** Whether this is a report of a failed login whose password was checked (not one this server refused). */
    public boolean failedPassword() {
        return command == Command.REPORT && Boolean.FALSE.equals(success) && !policyReject;
    }
}
