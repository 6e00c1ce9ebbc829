package org.postwarden.outbound;

import org.postwarden.config.PostwardenConfig;
import org.postwarden.model.Addresses;
import org.postwarden.model.MailEvent;
import org.postwarden.rules.Rules;
import org.postwarden.text.LogSafe;

import java.net.InetAddress;
import java.util.Locale;

/** Who a message's sender is for the outbound guard (subject, profile keys), and how it is shown. Stateless. */
final class Senders {
    private Senders() {
    }

    /** The subject of {@code e} under {@code r}, or null when the guard does not profile it. */
    static String subjectOf(MailEvent e, Rules r) {
        PostwardenConfig.Outbound o = r.config().outbound();
        if (e.authenticated()) {
            return r.allowlistedUser(e.saslUsername()) ? null : "user:" + e.saslUsername();
        }
        if (o.trustedNetworks() && e.client() != null && r.trusted(e.client())) {
            return "client:" + Addresses.format(e.client());
        }
        return null;
    }

    /** True when {@code sender} is in {@code outbound.allow-senders} (an address, or its {@code @domain}). */
    static boolean allowedSender(String sender, PostwardenConfig.Outbound o) {
        if (sender.isEmpty() || o.allowSenders().isEmpty()) {
            return false;
        }
        String s = sender.toLowerCase(Locale.ROOT);
        int at = s.lastIndexOf('@');
        String domain = at < 0 ? "" : s.substring(at);
        for (String a : o.allowSenders()) {
            String x = a.toLowerCase(Locale.ROOT);
            if (x.equals(s) || x.startsWith("@") && x.equals(domain)) {
                return true;
            }
        }
        return false;
    }

    /** The profiles {@code e} counts into: the user's one, or a trusted client's per sender domain and overall. */
    static String[] profileKeys(String subject, MailEvent e) {
        if (subject.startsWith("user:")) {
            return new String[] {subject};
        }
        String domain = e.senderDomain().isEmpty() ? "<>" : e.senderDomain();
        return new String[] {subject + " from " + domain, subject};
    }

    /** The /24 (IPv4) or /64 (IPv6) of {@code a}, as text. */
    static String network(InetAddress a) {
        byte[] b = a.getAddress();
        if (b.length == 4) {
            return (b[0] & 255) + "." + (b[1] & 255) + "." + (b[2] & 255) + ".0/24";
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 8; i += 2) {
            sb.append(Integer.toHexString((b[i] & 255) << 8 | (b[i + 1] & 255))).append(':');
        }
        return sb.append(":/64").toString();
    }

    /** A 64-bit hash of a content fingerprint's hex text. */
    static long fingerprint(String hex) {
        long h = 1125899906842597L;
        for (int i = 0; i < hex.length(); i++) {
            h = 31 * h + hex.charAt(i);
        }
        return h;
    }

    static String round(double v) {
        return v >= 10 ? Long.toString(Math.round(v)) : String.format(Locale.ROOT, "%.1f", v);
    }

    /** A subject or profile key as it may appear in a log line or an SMTP reply. */
    static String display(String subject) {
        return LogSafe.escape(subject, 120);
    }
}
