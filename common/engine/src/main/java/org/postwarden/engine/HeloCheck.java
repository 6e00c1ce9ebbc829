package org.postwarden.engine;

import org.postwarden.model.Addresses;
import org.postwarden.model.Cidr;
import org.postwarden.model.MailEvent;
import org.postwarden.model.Signal;
import org.postwarden.reputation.Mark;
import org.postwarden.text.LogSafe;

import java.net.InetAddress;
import java.util.regex.Pattern;

/**
 * Bad HELO names, evaluated once per connection: not a fully-qualified name, a generic name ({@code WIN-…},
 * {@code User}), an address literal that is not the client's address, or one of our own names or addresses.
 * Authenticated sessions and clients in {@code networks.trusted} are our own users and hosts: laptops and web apps
 * often greet with a bare host name, so their HELO is not judged (the outbound guard watches what they send); nor
 * on a submission service, whose HELO comes before AUTH.
 */
public final class HeloCheck implements Check {
    @Override
    public String name() {
        return "helo";
    }

    @Override
    public void evaluate(EvaluationContext ctx) {
        MailEvent e = ctx.event();
        String helo = e.heloName().trim();
        if (helo.isEmpty() || e.client() == null || e.authenticated() || ctx.trusted() || ctx.rules().submission(e)) {
            return;
        }
        String once = e.connectionId().isEmpty() ? EventRecorder.messageId(e) : e.connectionId();
        if (!once.isEmpty() && !ctx.store().marks().first(Mark.HELO.key(once, helo))) {
            return;
        }
        String shown = LogSafe.escape(helo, 100);
        if (helo.startsWith("[") && helo.endsWith("]")) {
            InetAddress literal;
            try {
                literal = Cidr.parseAddress(helo);
            } catch (IllegalArgumentException ex) {
                ctx.signal(Signal.HELO_NOT_FQDN, "HELO " + shown + " is a malformed address literal");
                return;
            }
            if (ctx.rules().ownAddress(literal) && !ctx.rules().ownAddress(e.client())) {
                ctx.signal(Signal.HELO_CLAIMS_OUR_NAME, "HELO " + shown + " claims our address");
            } else if (!literal.equals(e.client())) {
                ctx.signal(Signal.HELO_IP_MISMATCH, "HELO " + shown + " is not the client address "
                        + Addresses.format(e.client()));
            }
            return;
        }
        if (ctx.rules().ownName(helo) && !ctx.rules().ownAddress(e.client())) {
            ctx.signal(Signal.HELO_CLAIMS_OUR_NAME, "HELO " + shown + " claims one of our names");
            return;
        }
        Pattern p = genericPattern(ctx.rules(), helo);
        if (p != null) {
            ctx.signal(Signal.HELO_GENERIC, "HELO " + shown + " is a generic name (" + p.pattern() + ")");
            return;
        }
        if (!fullyQualified(helo)) {
            ctx.signal(Signal.HELO_NOT_FQDN, "HELO " + shown + " is not a fully-qualified domain name");
        }
    }

    /** The first of {@code helo.generic-patterns} that matches the whole of {@code helo}, or null. */
    static Pattern genericPattern(org.postwarden.rules.Rules rules, String helo) {
        for (Pattern p : rules.genericHelo()) {
            if (p.matcher(helo).matches()) {
                return p;
            }
        }
        return null;
    }

    /** Whether {@code helo} (not an address literal) has a dot other than a trailing one. */
    static boolean fullyQualified(String helo) {
        return !(helo.indexOf('.') < 0 || helo.endsWith(".") && helo.indexOf('.') == helo.length() - 1);
    }

    /**
     * Why {@code helo} looks generic, for greylisting: it matches {@code helo.generic-patterns}, is not
     * fully qualified, is an address literal, or is empty; null when it looks like a host name.
     */
    static String genericLooking(org.postwarden.rules.Rules rules, String helo) {
        String h = helo.trim();
        if (h.isEmpty()) {
            return "no HELO";
        }
        if (h.startsWith("[") && h.endsWith("]")) {
            return "HELO " + LogSafe.escape(h, 100) + " is an address literal";
        }
        Pattern p = genericPattern(rules, h);
        if (p != null) {
            return "HELO " + LogSafe.escape(h, 100) + " is a generic name (" + p.pattern() + ")";
        }
        return fullyQualified(h) ? null : "HELO " + LogSafe.escape(h, 100) + " is not a fully-qualified name";
    }
}
