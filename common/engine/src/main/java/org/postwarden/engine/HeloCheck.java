package org.postwarden.engine;

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
                        + e.client().getHostAddress());
            }
            return;
        }
        if (ctx.rules().ownName(helo) && !ctx.rules().ownAddress(e.client())) {
            ctx.signal(Signal.HELO_CLAIMS_OUR_NAME, "HELO " + shown + " claims one of our names");
            return;
        }
        for (Pattern p : ctx.rules().genericHelo()) {
            if (p.matcher(helo).matches()) {
                ctx.signal(Signal.HELO_GENERIC, "HELO " + shown + " is a generic name (" + p.pattern() + ")");
                return;
            }
        }
        if (helo.indexOf('.') < 0 || helo.endsWith(".") && helo.indexOf('.') == helo.length() - 1) {
            ctx.signal(Signal.HELO_NOT_FQDN, "HELO " + shown + " is not a fully-qualified domain name");
        }
    }
}
