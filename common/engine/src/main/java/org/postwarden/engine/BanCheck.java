package org.postwarden.engine;

import org.postwarden.model.ClientKey;
import org.postwarden.reputation.Ban;
import org.postwarden.verdict.Action;

import java.time.Instant;
import java.util.Optional;

/**
 * Refuses clients with an active ban, or in {@code bans.permanent}:
 * <ul>
 * <li>a ban of the client's own levels (IPv4 /32; IPv6 /128 or /64) refuses every client but a trusted one;</li>
 * <li>a ban of its network (IPv4 /24; IPv6 a tier of {@code networks.ipv6-tiers} or the
 * {@code store.ipv6-wide-prefix}) refuses only clients judged at the network level: not
 * authenticated sessions, submission services before AUTH, or hosts with a clean history (asked only when such a
 * ban exists);</li>
 * <li>{@code bans.permanent} refuses every client but a trusted one (an explicit list of the admin's);</li>
 * <li>a client in {@code networks.trusted} is never refused by a ban.</li>
 * </ul>
 */
public final class BanCheck implements Check {
    @Override
    public String name() {
        return "ban";
    }

    @Override
    public void evaluate(EvaluationContext ctx) {
        if (ctx.host() == null || ctx.trusted()) {
            return;
        }
        org.postwarden.model.Cidr permanent = ctx.rules().bans().permanentNetwork(ctx.event().client());
        if (permanent != null) {
            ctx.find("ban", Action.REJECT, 0, 0, "client network " + permanent
                    + " is banned permanently (bans.permanent)");
            return;
        }
        for (ClientKey k : ctx.ownKeys()) {
            if (refuse(ctx, k)) {
                return;
            }
        }
        if (!ctx.networkJudged()) {
            return;
        }
        for (ClientKey net : ctx.banNetworks()) {
            Optional<Ban> ban = ctx.store().activeBan(net);
            if (ban.isPresent()) {
                if (ctx.cleanHistory()) {
                    ctx.note("clean-history", "host has a clean history (networks.clean-history-messages): the ban "
                            + "of " + net.level().label() + " " + net.cidr() + " does not apply to it");
                    return;
                }
                find(ctx, net, ban.get());
                return;
            }
        }
    }

    private static boolean refuse(EvaluationContext ctx, ClientKey k) {
        Optional<Ban> ban = ctx.store().activeBan(k);
        if (ban.isPresent()) {
            find(ctx, k, ban.get());
            return true;
        }
        return false;
    }

    private static void find(EvaluationContext ctx, ClientKey k, Ban b) {
        String until = b.permanent() ? "permanently" : "until " + Instant.ofEpochMilli(b.untilMillis());
        ctx.find("ban", Action.REJECT, b.offense(), 0,
                "client network " + k.cidr() + " is banned " + until + " (" + b.reason() + ")");
    }
}
