package org.postwarden.ingest.parse;

import org.postwarden.model.Signal;

import java.net.InetAddress;

/**
 * Dovecot login-process lines with failed authentication (imap-login, pop3-login, submission-login,
 * managesieve-login), as Dovecot 2.2 to 2.4 write them, to syslog ({@code dovecot: imap-login: ...}) or to its own
 * log file ({@code imap-login: Info: ...}):
 * <pre>
 * imap-login: Disconnected (auth failed, 1 attempts in 2 secs): user=&lt;bob&gt;, method=PLAIN, rip=192.0.2.1, ...
 * imap-login: Disconnected: Connection closed (auth failed, 3 attempts in 10 secs): user=&lt;bob&gt;, ..., rip=...
 * pop3-login: Aborted login (auth failed, 1 attempts in 2 secs): user=&lt;admin&gt;, method=PLAIN, rip=192.0.2.1
 * imap-login: Login aborted: Connection closed (auth failed, 2 attempts in 4 secs) (auth_failed): user=&lt;bob&gt;, ...
 * </pre>
 * Each attempt counts (weight per attempt). Lines without {@code rip=} still count against the user.
 */
final class DovecotLineParser {
    private DovecotLineParser() {
    }

    /** {@code m} starts with the login process name ({@code imap-login: ...}). */
    static LogEvent parse(String m) {
        int failed = m.indexOf("(auth failed, ");
        if (failed < 0) {
            return null;
        }
        int login = m.indexOf("-login: ");
        if (login < 0 || login > failed || login > 40) {
            return null;
        }
        int attempts = Fields.number(m, failed + 14);
        if (attempts < 1) {
            attempts = 1;
        }
        String user = Fields.between(m, "user=<", '>', 100);
        String rip = Fields.between(m, "rip=", ',', 45);
        if (rip.isEmpty()) {
            int r = m.indexOf("rip=");
            rip = r < 0 ? "" : m.substring(r + 4).trim();
        }
        InetAddress client = Fields.ip(rip);
        if (client == null && user.isEmpty()) {
            return null;
        }
        String process = m.substring(0, login + 6);
        return new LogEvent(-1, LogCategory.SASL, "dovecot-auth-failed", Signal.AUTH_FAILURE, client, user,
                Math.min(attempts, 100), Fields.detail(process + " auth failed, " + attempts + " attempts"
                        + (user.isEmpty() ? "" : " for " + user)), "", "");
    }
}
