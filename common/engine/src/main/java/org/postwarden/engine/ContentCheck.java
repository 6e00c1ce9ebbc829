package org.postwarden.engine;

import org.postwarden.config.Durations;
import org.postwarden.model.MailEvent;
import org.postwarden.model.SmtpStage;
import org.postwarden.reputation.CounterLayout;
import org.postwarden.text.LogSafe;
import org.postwarden.verdict.Action;

import java.time.Duration;
import java.util.List;

/**
 * Outbound fan-out: at END-OF-MESSAGE, when one authenticated user has sent more messages with the same content
 * fingerprint than a {@code milter.identical-messages} window allows, proposes HOLD (the message goes to Postfix's
 * hold queue for an admin to release or delete). Users in {@code allowlist.sasl-users} are exempt. Only listeners
 * that see content (the milter) provide fingerprints.
 */
public final class ContentCheck implements Check {
    @Override
    public String name() {
        return "content";
    }

    @Override
    public void evaluate(EvaluationContext ctx) {
        MailEvent e = ctx.event();
        if (e.stage() != SmtpStage.END_OF_MESSAGE || !e.authenticated() || e.fingerprint().isEmpty()
                || ctx.rules().allowlistedUser(e.saslUsername())) {
            return;
        }
        CounterLayout layout = ctx.rules().contentLayout();
        if (layout.size() == 0) {
            return;
        }
        long[] counts = ctx.store().countContent(e.saslUsername(), e.fingerprint(), 0);
        List<CounterLayout.Slot> slots = layout.slots();
        for (int i = 0; i < slots.size() && i < counts.length; i++) {
            CounterLayout.Slot s = slots.get(i);
            if (counts[i] > s.max()) {
                String window = Durations.format(Duration.ofSeconds(s.windowSeconds()));
                ctx.find("identical-messages", Action.HOLD, counts[i], s.max(), "outbound fan-out: more than "
                        + s.max() + " identical messages per " + window + " from user "
                        + LogSafe.escape(e.saslUsername(), 64) + "; held for review");
                return;
            }
        }
    }
}
