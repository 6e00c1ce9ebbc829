package org.postwarden.engine;

import org.postwarden.config.Durations;
import org.postwarden.model.ClientKey;
import org.postwarden.model.Signal;
import org.postwarden.model.SmtpStage;
import org.postwarden.reputation.CounterLayout;
import org.postwarden.reputation.CounterType;
import org.postwarden.rules.UserQuotas;
import org.postwarden.text.LogSafe;
import org.postwarden.verdict.Action;

import java.time.Duration;
import java.util.List;

/**
 * Compares the client's (and the SASL user's) sliding-window counts with the configured maxima. An exceeded limit
 * proposes a 4.7.1 defer naming the limit, never a permanent reject, at the stages where that counter applies
 * (see {@link #enforcedAt}), and records a limit-exceeded signal (not again for an event another listener already
 * reported); in an authenticated session that signal scores the user, not the address.
 *
 * <p>Whose counts: an authenticated session is judged by the user's own sending (the {@code limits.sasl-user}
 * quotas in layers: its own {@code limits.users} rule, else its domain's mailbox quota, else
 * {@code limits.sasl-user}; and its domain's shared pool), not by what its address or network sent; a client in {@code networks.trusted} by its own host counts,
 * not its neighbours' (subnet and wide levels); a submission service before AUTH not at all (only a ban of the
 * host refuses it there). Counting goes on in every case.
 */
public final class RateLimitCheck implements Check {
    @Override
    public String name() {
        return "rate-limit";
    }

    @Override
    public void evaluate(EvaluationContext ctx) {
        if (ctx.submissionBeforeAuth()) {
            return;
        }
        boolean exceeded = false;
        if (!ctx.event().authenticated()) {
            for (ClientKey k : ctx.trusted() ? ctx.ownKeys() : ctx.keys()) {
                exceeded |= compare(ctx, ctx.rules().layout(k.level()), ctx.store().estimates(k),
                        k.level().label(), k.cidr());
            }
        }
        String user = ctx.event().saslUsername();
        if (!user.isEmpty() && !ctx.rules().allowlistedUser(user)) {
            for (UserQuotas.Layer layer : ctx.rules().quotas().of(user)) {
                exceeded |= compare(ctx, layer, ctx.store().userEstimates(layer.key()), user);
            }
        }
        if (exceeded && !ctx.repeat()) {
            ctx.signal(Signal.LIMIT_EXCEEDED, "rate limit exceeded");
        }
    }

    /**
     * Whether a counter is enforced at the event's stage: connections before the message content (never throw a
     * transmitted message away for a connection rate), recipients at RCPT (or at END-OF-MESSAGE when that is
     * where they were counted), messages from MAIL on.
     */
    static boolean enforcedAt(CounterType type, EvaluationContext ctx) {
        SmtpStage st = ctx.event().stage();
        return switch (type) {
            case CONNECTIONS -> st != SmtpStage.DATA && st != SmtpStage.END_OF_MESSAGE;
            case RECIPIENTS -> st == SmtpStage.RCPT || st == SmtpStage.END_OF_MESSAGE && ctx.recipientsCountedAtEnd();
            case MESSAGES -> st == SmtpStage.MAIL || st == SmtpStage.RCPT || st == SmtpStage.DATA
                    || st == SmtpStage.END_OF_MESSAGE;
        };
    }

    /** One quota layer of a SASL user ({@code sasl-user}, {@code domain}, {@code user} or the domain's {@code pool}). */
    private static boolean compare(EvaluationContext ctx, UserQuotas.Layer layer, long[] counts, String user) {
        boolean exceeded = false;
        String who = layer.name().equals("pool") ? "domain " + LogSafe.escape(layer.key().substring(1), 64)
                + " (user " + LogSafe.escape(user, 64) + ")" : "user " + LogSafe.escape(user, 64);
        for (UserQuotas.Limit l : layer.limits()) {
            long n = l.slot() < counts.length ? counts[l.slot()] : 0;
            if (n > l.max() && enforcedAt(l.type(), ctx)) {
                String window = Durations.format(Duration.ofSeconds(l.windowSeconds()));
                ctx.find(l.type().label(), Action.DEFER, n, l.max(),
                        "rate limit: more than " + l.max() + " " + l.type().label() + " per " + window + " per "
                                + layer.name() + " (" + who + ")");
                exceeded = true;
            }
        }
        return exceeded;
    }

    private static boolean compare(EvaluationContext ctx, CounterLayout layout, long[] counts, String level,
            String who) {
        boolean exceeded = false;
        List<CounterLayout.Slot> slots = layout.slots();
        for (int i = 0; i < slots.size(); i++) {
            CounterLayout.Slot s = slots.get(i);
            if (counts[i] > s.max() && enforcedAt(s.type(), ctx)) {
                String window = Durations.format(Duration.ofSeconds(s.windowSeconds()));
                ctx.find(s.type().label(), Action.DEFER, counts[i], s.max(),
                        "rate limit: more than " + s.max() + " " + s.type().label() + " per " + window + " per "
                                + level + " (" + who + ")");
                exceeded = true;
            }
        }
        return exceeded;
    }
}
