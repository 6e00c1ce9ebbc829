package org.postwarden.milter.mapping;

import org.postwarden.milter.codec.MilterWire;
import org.postwarden.milter.session.MilterSession;
import org.postwarden.model.Cidr;
import org.postwarden.model.MailEvent;
import org.postwarden.model.SmtpStage;

import java.net.InetAddress;

/**
 * Maps the session's state at a milter command to a {@link MailEvent} with source {@code "milter"}. The client
 * address and port come from the macros {@code {client_addr}} and {@code {client_port}} (jmilter's connect parser
 * gives no address for IPv6), falling back to the connect packet; only IP literals are accepted, never a name to
 * resolve. The queue id is macro {@code i}; the SASL login {@code {auth_authen}}; the server side's port and
 * service name {@code {daemon_port}} and {@code {daemon_name}} (they tell the engine a submission service).
 * Envelope addresses lose their angle brackets. Milter events carry no {@code instance}; END-OF-MESSAGE carries the
 * number of RCPTs the session reported for the message (the store counts recipients at RCPT already: this count is
 * for per-message checks such as identical content to many recipients).
 */
public final class MilterEventMapper {
    public static final String SOURCE = "milter";

    private MilterEventMapper() {
    }

    public static MailEvent toEvent(MilterSession s, SmtpStage stage, String recipient, String fingerprint) {
        MilterWire.Connect c = s.connect();
        boolean inet = c != null && (c.family() == '4' || c.family() == '6');
        InetAddress client = address(s.macro("{client_addr}"));
        if (client == null && inet) {
            client = address(c.address());
        }
        int port = port(s.macro("{client_port}"));
        if (port < 0 && inet) {
            port = c.port();
        }
        String name = s.macro("{client_name}");
        if (name.isEmpty() && c != null) {
            name = c.hostname().startsWith("[") ? "unknown" : c.hostname();
        }
        return new MailEvent(SOURCE, stage, client, port, name, s.helo(), s.sender(), recipient,
                s.macro("{auth_authen}"), "", s.macro("i"), stage == SmtpStage.END_OF_MESSAGE ? s.recipients() : 0, 0,
                fingerprint, port(s.macro("{daemon_port}")), s.macro("{daemon_name}"));
    }

    /** {@code <user@example.org>} ⇒ {@code user@example.org}; {@code <>} ⇒ empty. */
    public static String envelopeAddress(String arg) {
        String a = arg.trim();
        if (a.startsWith("<") && a.endsWith(">") && a.length() >= 2) {
            a = a.substring(1, a.length() - 1);
        }
        return a;
    }

    static InetAddress address(String s) {
        String t = s.trim();
        if (t.regionMatches(true, 0, "ipv6:", 0, 5)) {
            t = t.substring(5);
        }
        if (t.startsWith("[") && t.endsWith("]")) {
            t = t.substring(1, t.length() - 1);
        }
        int pct = t.indexOf('%');
        if (pct >= 0) {
            t = t.substring(0, pct);
        }
        if (!Cidr.isLiteral(t)) {
            return null;
        }
        try {
            return Cidr.parseAddress(t);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    static int port(String s) {
        if (s.isEmpty() || s.length() > 5) {
            return -1;
        }
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') {
                return -1;
            }
        }
        int p = Integer.parseInt(s);
        return p <= 65535 ? p : -1;
    }
}
