package org.postwarden.config.load;

import org.postwarden.config.PostwardenConfig;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.List;

/**
 * The {@code outbound:} section: the outbound guard's action, exemptions and profile store, its baseline, floors
 * and ceilings, the new-network and failure-share rules, its alerts (webhook, mail) and the queue watch.
 */
final class OutboundValidator {
    private OutboundValidator() {
    }

    static void validate(PostwardenConfig.Outbound o, Problems p) {
        if (p.present("outbound.action", o.action())) {
            p.require("outbound.action", o.action(), o.action().equals("hold") || o.action().equals("defer"),
                    "hold or defer");
        }
        p.each("outbound.allow-senders", o.allowSenders(), OutboundValidator::sender);
        p.filePath("outbound.state-path", o.statePath(), "the path of an earlier version's outbound state file to "
                + "import once, or \"\"");
        p.wholeNumber("outbound.max-profiles", o.maxProfiles(), 100, 10_000_000);
        p.duration("outbound.profile-expiry", o.profileExpiry(), Duration.ofDays(1), Duration.ofDays(3650));
        p.wholeNumber("outbound.known-recipients", o.knownRecipients(), 16, 4096);
        p.ifPresent("outbound.baseline", o.baseline(), b -> {
            p.duration("outbound.baseline.half-life", b.halfLife(), Duration.ofHours(1), Duration.ofDays(365));
            p.require("outbound.baseline.factor", b.factor(), b.factor() >= 1.5 && b.factor() <= 1000,
                    "a number from 1.5 to 1000 (how many times its usual hourly amount a sender may send)");
        });
        // Both are reported when missing, hence & and not &&.
        if (p.present("outbound.floors", o.floors()) & p.present("outbound.ceilings", o.ceilings())) {
            dimension("messages", o.floors().messages(), o.ceilings().messages(), p);
            dimension("recipients", o.floors().recipients(), o.ceilings().recipients(), p);
            dimension("domains", o.floors().domains(), o.ceilings().domains(), p);
            dimension("new-recipients", o.floors().newRecipients(), o.ceilings().newRecipients(), p);
        }
        p.ifPresent("outbound.new-network", o.newNetwork(), n -> {
            p.require("outbound.new-network.factor", n.factor(), n.factor() > 0 && n.factor() <= 1,
                    "a number above 0 and at most 1 (1 = no change)");
            p.duration("outbound.new-network.window", n.window(), Duration.ofMinutes(1), Duration.ofDays(30));
        });
        p.wholeNumber("outbound.identical-content-recipients", o.identicalContentRecipients(), 0, 1_000_000);
        p.ifPresent("outbound.failures", o.failures(), f -> {
            p.require("outbound.failures.max-share", f.maxShare(), f.maxShare() > 0 && f.maxShare() <= 1,
                    "a share above 0 and at most 1 (1 = off)");
            p.wholeNumber("outbound.failures.min-deliveries", f.minDeliveries(), 1, 1_000_000);
        });
        p.ifPresent("outbound.alerts", o.alerts(), a -> {
            p.ifPresent("outbound.alerts.webhook", a.webhook(), w -> webhook(w, p));
            p.ifPresent("outbound.alerts.mail", a.mail(), m -> {
                p.strings("outbound.alerts.mail.command", m.command());
                mailAddress("outbound.alerts.mail.to", m.to(), p);
                mailAddress("outbound.alerts.mail.from", m.from(), p);
            });
        });
        p.ifPresent("outbound.queue", o.queue(), q -> queue(q, p));
    }

    /** An envelope sender ({@code local@domain}) or a whole domain ({@code @domain}). */
    private static String sender(String a) {
        int at = a == null ? -1 : a.lastIndexOf('@');
        boolean ok = a != null && at >= 0 && at != a.length() - 1 && a.indexOf('@') == at && !a.isBlank()
                && a.chars().noneMatch(ch -> ch <= ' ' || ch == '<' || ch == '>');
        return ok ? null : "an envelope sender like list-bounces@lists.example.org, or a whole domain like "
                + "@lists.example.org";
    }

    private static void dimension(String name, long floor, long ceiling, Problems p) {
        p.wholeNumber("outbound.floors." + name, floor, 1, 10_000_000);
        p.wholeNumber("outbound.ceilings." + name, ceiling, 1, 10_000_000);
        if (ceiling < floor && floor >= 1) {
            p.fail("outbound.ceilings." + name, ceiling, "at least outbound.floors." + name + " (" + floor + ")");
        }
    }

    private static void webhook(PostwardenConfig.Webhook w, Problems p) {
        if (p.nonBlank("outbound.alerts.webhook.url", w.url())) {
            try {
                URI u = new URI(w.url());
                if (!"http".equals(u.getScheme()) && !"https".equals(u.getScheme()) || u.getHost() == null) {
                    throw new URISyntaxException(w.url(), "not an absolute http(s) URL");
                }
            } catch (URISyntaxException e) {
                p.fail("outbound.alerts.webhook.url", w.url(), "an http:// or https:// URL, or \"\" for no "
                        + "webhook (" + e.getReason() + ")");
            }
        }
        p.duration("outbound.alerts.webhook.timeout", w.timeout(), Duration.ofMillis(100), Duration.ofMinutes(5));
        p.wholeNumber("outbound.alerts.webhook.attempts", w.attempts(), 1, 20);
        p.duration("outbound.alerts.webhook.retry-delay", w.retryDelay(), Duration.ofMillis(1), Duration.ofHours(1));
    }

    private static void mailAddress(String key, String v, Problems p) {
        if (p.present(key, v) && (v.isBlank() || v.length() > 200 || v.chars().anyMatch(ch -> ch < ' '))) {
            p.fail(key, v, "a mail address on one line (at most 200 characters)");
        }
    }

    private static void queue(PostwardenConfig.Queue q, Problems p) {
        p.duration("outbound.queue.interval", q.interval(), Duration.ofSeconds(1), Duration.ofHours(1));
        command("outbound.queue.list-command", q.listCommand(), "[postqueue, -j]", p);
        command("outbound.queue.postsuper-command", q.postsuperCommand(), "[postsuper]", p);
        p.duration("outbound.queue.command-timeout", q.commandTimeout(), Duration.ofSeconds(1),
                Duration.ofMinutes(10));
        p.wholeNumber("outbound.queue.max-messages", q.maxMessages(), 100, 10_000_000);
        p.wholeNumber("outbound.queue.alert-depth", q.alertDepth(), 0, 100_000_000);
        p.duration("outbound.queue.alert-oldest-age", q.alertOldestAge(), Duration.ZERO, Duration.ofDays(365));
        double s = q.alertSenderShare();
        p.require("outbound.queue.alert-sender-share", s, s >= 0 && s <= 1, "a share from 0 (off) to 1");
        p.wholeNumber("outbound.queue.alert-sender-min-messages", q.alertSenderMinMessages(), 1, 100_000_000);
        p.nonNegative("outbound.queue.alert-growth-per-minute", q.alertGrowthPerMinute());
        p.duration("outbound.queue.alert-interval", q.alertInterval(), Duration.ofSeconds(1), Duration.ofDays(7));
    }

    /** A command line (argv, no shell) that must not be empty. */
    private static void command(String key, List<String> argv, String example, Problems p) {
        p.strings(key, argv);
        if (argv != null && argv.isEmpty()) {
            p.fail(key, "[]", "a command (argv), e.g. " + example);
        }
    }
}
