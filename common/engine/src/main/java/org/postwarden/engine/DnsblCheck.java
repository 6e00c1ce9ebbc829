package org.postwarden.engine;

import org.postwarden.dnsbl.DnsblAnswers;
import org.postwarden.dnsbl.DnsblClient;
import org.postwarden.dnsbl.DnsblLookup;
import org.postwarden.dnsbl.zone.DnsblZone;
import org.postwarden.model.MailEvent;
import org.postwarden.model.Signal;
import org.postwarden.rules.Rules;

import java.net.InetAddress;
import java.util.concurrent.CompletionStage;

/**
 * DNSBL, DNSWL and RHSBL listings of the client address, the HELO name and the sender domain. {@link #prepare}
 * starts the lookups (cached, asynchronous, bounded by {@code dnsbl.timeout}); {@link #evaluate} weighs every
 * matching zone entry into this decision's score ({@link EvaluationContext#weigh}: not stored, see
 * {@link ScoreCheck}), naming the zone and the codes, and notes zones that gave no usable answer (they score
 * nothing). Runs on every request of a connection, so a listing weighs on each decision alike, and the signal
 * metric counts the decisions it weighed on. Authenticated clients, {@code networks.trusted} and submission services
 * before AUTH are not looked up.
 */
public final class DnsblCheck implements Check {
    private final DnsblClient client;

    public DnsblCheck(DnsblClient client) {
        this.client = client;
    }

    @Override
    public String name() {
        return "dnsbl";
    }

    @Override
    public CompletionStage<?> prepare(MailEvent event, Rules rules) {
        InetAddress ip = event.client();
        if (ip == null || event.authenticated() || rules.trusted(ip) || beforeAuth(event) && rules.submission(event)) {
            return null;
        }
        return client.lookupEvent(ip, event.heloName(), event.sender());
    }

    /** Connect or HELO: on a submission service, before AUTH (the score check does not judge it there). */
    private static boolean beforeAuth(MailEvent e) {
        return e.stage() == org.postwarden.model.SmtpStage.CONNECT || e.stage() == org.postwarden.model.SmtpStage.HELO;
    }

    @Override
    public void evaluate(EvaluationContext ctx) {
        if (!(ctx.prepared(this) instanceof DnsblLookup l)) {
            return;
        }
        apply(ctx, l.client());
        apply(ctx, l.helo());
        apply(ctx, l.sender());
    }

    private static void apply(EvaluationContext ctx, DnsblAnswers a) {
        if (a == null) {
            return;
        }
        for (DnsblAnswers.Hit h : a.hits()) {
            DnsblZone z = h.zone();
            ctx.weigh(z.allowlist() ? Signal.DNSWL : Signal.DNSBL, z.weight(), z.domain(), h.detail(),
                    !ctx.repeat());
            ctx.listedIn(z);
        }
        for (DnsblAnswers.Problem p : a.problems()) {
            ctx.note("dnsbl-" + p.failure().reason().label(), a.what() + ": " + p.domain() + " scores nothing ("
                    + p.failure().detail() + ")");
        }
    }
}
