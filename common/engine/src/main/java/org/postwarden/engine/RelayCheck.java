package org.postwarden.engine;

import org.postwarden.model.MailEvent;
import org.postwarden.model.Signal;
import org.postwarden.model.SmtpStage;
import org.postwarden.text.LogSafe;

/**
 * A relay attempt: RCPT to a domain that is not local, from a client that is neither authenticated nor trusted.
 * Only a signal: Postfix's {@code reject_unauth_destination} refuses the recipient itself, so Postwarden must be
 * placed before it to see the attempt, and answers DUNNO (never OK). A RCPT that another listener already reported
 * (policy server and milter both wired) is not signalled twice.
 */
public final class RelayCheck implements Check {
    @Override
    public String name() {
        return "relay";
    }

    @Override
    public void evaluate(EvaluationContext ctx) {
        MailEvent e = ctx.event();
        if (e.stage() != SmtpStage.RCPT || e.authenticated() || e.client() == null || e.recipient().isEmpty()
                || ctx.repeat()) {
            return;
        }
        if (ctx.rules().trusted(e.client())) {
            return;
        }
        String domain = e.recipientDomain();
        if (domain.isEmpty() || ctx.rules().localDomain(domain)) {
            return;
        }
        ctx.signal(Signal.RELAY_ATTEMPT, "relay attempt to domain " + LogSafe.escape(domain, 100));
        // so the log's "Relay access denied" for this RCPT is not scored a second time (SignalRecorder)
        ctx.store().marks().first(SignalRecorder.relayMark(e.client(), e.recipient()));
    }
}
