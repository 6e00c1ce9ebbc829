package org.postwarden.ingest.parse;

import org.postwarden.model.Signal;

import java.net.InetAddress;

/**
 * smtpd(8) lines (and tlsproxy's {@code SSL_accept error}). Forms, Postfix 3.5 to 3.11:
 * <pre>
 * connect from unknown[192.0.2.1]
 * warning: unknown[192.0.2.1]: SASL LOGIN authentication failed: UGFzc3dvcmQ6
 * warning: unknown[192.0.2.1]: SASL PLAIN authentication failed: , sasl_username=bob       (3.9+)
 * lost connection after AUTH from unknown[192.0.2.1]                                     (3.5 - 3.9)
 * NOQUEUE: lost connection after AUTH from unknown[192.0.2.1]                            (3.10+)
 * too many errors after RCPT from unknown[192.0.2.1]                (3.10+: with NOQUEUE: or a queue id)
 * disconnect from unknown[192.0.2.1] ehlo=1 auth=0/3 commands=1/4
 * NOQUEUE: reject: RCPT from unknown[192.0.2.1]: 554 5.7.1 &lt;x@y.test&gt;: Relay access denied; from=&lt;a@b&gt;
 *     to=&lt;x@y.test&gt; proto=ESMTP helo=&lt;WIN-X&gt;
 * NOQUEUE: reject: RCPT from unknown[192.0.2.1]: 504 5.5.2 &lt;WIN-X&gt;: Helo command rejected: need
 *     fully-qualified hostname; ...
 * SSL_accept error from unknown[192.0.2.1]: -1                    (also ": lost connection"; tlsproxy too)
 * lost connection after STARTTLS from unknown[192.0.2.1]        (3.10+ with NOQUEUE:)
 * improper command pipelining after EHLO from unknown[192.0.2.1]: QUIT\r\n
 * </pre>
 * A client may also be logged with its port ({@code smtpd_client_port_logging}: {@code unknown[192.0.2.1]:4711}).
 * {@code lost connection} after anything but AUTH and STARTTLS, and other rejects, are of no interest here. The
 * disconnect summary of a session with failed logins is reported without a signal: each attempt was scored from its
 * own {@code authentication failed} line. Likewise {@code lost connection after STARTTLS}: a failed handshake logs
 * {@code SSL_accept error} first (which is scored), and alone, after a completed handshake, it is what certificate
 * checkers and senders that refuse the certificate do; it is a TLS event without a signal.
 */
final class SmtpdLineParser {
    private SmtpdLineParser() {
    }

    static LogEvent parse(String m) {
        if (m.isEmpty()) {
            return null;
        }
        char c = m.charAt(0);
        if (c == 'c' && m.startsWith("connect from ")) {
            return event(LogCategory.CONNECT, "connect", null, Fields.bracketAddress(m, 13), "", 1, "", "", "");
        }
        if (c == 'w') {
            return m.startsWith("warning: ") ? warning(m) : null;
        }
        if (c == 'd' && m.startsWith("disconnect from ")) {
            return disconnect(m);
        }
        if (c == 'S' && m.startsWith("SSL_accept error from ")) {
            int colon = m.indexOf("]", 22);
            return event(LogCategory.TLS, "tls-accept", Signal.TLS_FAILURE, Fields.bracketAddress(m, 22), "", 1,
                    "SSL_accept error" + (colon < 0 ? "" : m.substring(colon + 1)), "", "");
        }
        if (c == 'i' && m.startsWith("improper command pipelining after ")) {
            int from = m.indexOf(" from ", 34);
            int colon = from < 0 ? -1 : m.indexOf("]", from);
            return from < 0 ? null : event(LogCategory.PROTOCOL, "improper-pipelining", Signal.PROTOCOL_VIOLATION,
                    Fields.bracketAddress(m, from), "", 1, "improper command pipelining after "
                            + m.substring(34, from) + (colon < 0 ? "" : m.substring(colon + 1)), "", "");
        }
        String rest = stripQueueId(m);
        if (rest.startsWith("reject: ")) {
            return reject(rest);
        }
        if (rest.startsWith("lost connection after AUTH from ")) {
            return event(LogCategory.SASL, "lost-after-auth", Signal.AUTH_LOST, Fields.bracketAddress(rest, 32), "",
                    1, "lost connection after AUTH", "", "");
        }
        if (rest.startsWith("lost connection after STARTTLS from ")) {
            return event(LogCategory.TLS, "lost-after-starttls", null, Fields.bracketAddress(rest, 36), "", 1,
                    "lost connection after STARTTLS", "", "");
        }
        if (rest.startsWith("too many errors after ")) {
            int from = rest.indexOf(" from ", 22);
            return from < 0 ? null : event(LogCategory.PROTOCOL, "too-many-errors", Signal.PROTOCOL_VIOLATION,
                    Fields.bracketAddress(rest, from), "", 1, "too many errors after " + rest.substring(22, from),
                    "", "");
        }
        return null;
    }

    /** {@code ABC123: text} or {@code NOQUEUE: text} → {@code text}; anything else unchanged. */
    private static String stripQueueId(String m) {
        int colon = m.indexOf(": ");
        if (colon < 5 || colon > 24) {
            return m;
        }
        for (int i = 0; i < colon; i++) {
            char ch = m.charAt(i);
            if (!(ch >= '0' && ch <= '9' || ch >= 'A' && ch <= 'Z' || ch >= 'a' && ch <= 'z')) {
                return m;
            }
        }
        return m.substring(colon + 2);
    }

    private static LogEvent warning(String m) {
        // warning: NAME[ADDR]: SASL MECH authentication failed: REASON[, sasl_username=USER]
        int sasl = m.indexOf(": SASL ", 9);
        if (sasl < 0) {
            return null;
        }
        int failed = m.indexOf(" authentication failed", sasl + 7);
        if (failed < 0 || failed - sasl > 40) {
            return null;
        }
        InetAddress client = Fields.bracketAddress(m, 9);
        if (client == null || m.indexOf('[', 9) > sasl) {
            return null;
        }
        String mech = m.substring(sasl + 7, failed);
        String user = "";
        int u = m.lastIndexOf(", sasl_username=");
        if (u > failed) {
            user = m.substring(u + 16);
            if (user.equals("(unavailable)") || user.length() > 100) {
                user = "";
            }
        }
        return event(LogCategory.SASL, "sasl-failed", Signal.AUTH_FAILURE, client, user, 1,
                "SASL " + mech + " authentication failed" + (user.isEmpty() ? "" : " for " + user), "", "");
    }

    private static LogEvent disconnect(String m) {
        // disconnect from NAME[ADDR] ehlo=1 auth=0/3 quit=1 commands=2/5
        int auth = m.indexOf(" auth=", 16);
        if (auth < 0) {
            return null;
        }
        int ok = Fields.number(m, auth + 6);
        int slash = auth + 6 + String.valueOf(Math.max(ok, 0)).length();
        if (ok < 0 || slash >= m.length() || m.charAt(slash) != '/') {
            return null;
        }
        int tried = Fields.number(m, slash + 1);
        if (tried <= ok) {
            return null;
        }
        return event(LogCategory.SASL, "auth-summary", null, Fields.bracketAddress(m, 16), "", tried - ok,
                "disconnect after " + (tried - ok) + " failed AUTH", "", "");
    }

    private static LogEvent reject(String m) {
        // reject: RCPT from NAME[ADDR]: 554 5.7.1 <rcpt>: Relay access denied; from=<s> to=<r> proto=ESMTP helo=<h>
        int from = m.indexOf(" from ", 8);
        if (from < 0 || from > 30) {
            return null;
        }
        InetAddress client = Fields.bracketAddress(m, from);
        if (client == null) {
            return null;
        }
        String helo = Fields.between(m, " helo=<", '>', 255);
        if (m.indexOf(": Relay access denied", from) > 0) {
            String to = Fields.between(m, " to=<", '>', 320);
            return event(LogCategory.RELAY, "relay-denied", Signal.RELAY_DENIED, client, "", 1,
                    "Relay access denied" + (to.isEmpty() ? "" : " to " + to), helo, to);
        }
        if (m.indexOf(": Helo command rejected: ", from) > 0) {
            int why = m.indexOf(": Helo command rejected: ", from) + 25;
            int semi = m.indexOf(';', why);
            return event(LogCategory.HELO, "helo-rejected", Signal.HELO_REJECTED, client, "", 1,
                    "Helo command rejected: " + m.substring(why, semi < 0 ? m.length() : semi), helo, "");
        }
        return null;
    }

    private static LogEvent event(LogCategory c, String kind, Signal s, InetAddress client, String user, int count,
            String detail, String helo, String recipient) {
        if (client == null) {
            return null;
        }
        return new LogEvent(-1, c, kind, s, client, user, count, Fields.detail(detail), Fields.detail(helo),
                recipient.length() > 320 ? "" : recipient);
    }
}
