package org.postwarden.policy.mapping;

import org.postwarden.model.Cidr;
import org.postwarden.model.MailEvent;
import org.postwarden.model.SmtpStage;
import org.postwarden.policy.codec.PolicyRequest;

import java.net.InetAddress;

/**
 * Maps a policy request to a {@link MailEvent}. Unknown attributes are ignored; bad numbers become defaults. The
 * server's own port ({@code server_port}, Postfix 3.2 and later) tells the engine a submission service.
 */
public final class PolicyEventMapper {
    private PolicyEventMapper() {
    }

    public static MailEvent toEvent(PolicyRequest r) {
        return new MailEvent("policy",
                SmtpStage.fromPostfix(r.get("protocol_state")),
                address(r.get("client_address")),
                integer(r.get("client_port"), -1),
                r.get("client_name"),
                r.get("helo_name"),
                r.get("sender"),
                r.get("recipient"),
                r.get("sasl_username"),
                r.get("instance"),
                r.get("queue_id"),
                integer(r.get("recipient_count"), 0),
                longer(r.get("size"), 0),
                "",
                port(r.get("server_port")),
                "");
    }

    /** A TCP port (Postfix 3.2+ sends {@code server_port}: the port the client connected to), or -1. */
    static int port(String s) {
        int p = integer(s, -1);
        return p >= 1 && p <= 65535 ? p : -1;
    }

    static InetAddress address(String s) {
        if (s.isEmpty() || !Cidr.isLiteral(stripped(s))) {
            return null;
        }
        try {
            return Cidr.parseAddress(s);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static String stripped(String s) {
        String t = s.trim();
        if (t.regionMatches(true, 0, "ipv6:", 0, 5)) {
            t = t.substring(5);
        }
        int pct = t.indexOf('%');
        return pct >= 0 ? t.substring(0, pct) : t;
    }

    static int integer(String s, int dflt) {
        if (s.isEmpty() || s.length() > 9) {
            return dflt;
        }
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            return dflt;
        }
    }

    static long longer(String s, long dflt) {
        if (s.isEmpty() || s.length() > 18) {
            return dflt;
        }
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            return dflt;
        }
    }
}
