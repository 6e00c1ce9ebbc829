package org.postwarden.config.load;

import org.postwarden.config.PostwardenConfig;

import java.util.List;

/**
 * The {@code networks:} section (our domains, names and addresses, trusted networks, submission ports, the clean
 * history, the IPv6 tiers) and {@code allowlist:}.
 */
final class NetworksValidator {
    private static final int MAX_TIERS = 4;

    private NetworksValidator() {
    }

    static void networks(PostwardenConfig.Networks n, Problems p) {
        p.strings("networks.local-domains", n.localDomains());
        p.strings("networks.own-names", n.ownNames());
        p.cidrs("networks.own-addresses", n.ownAddresses());
        p.cidrs("networks.trusted", n.trusted());
        if (p.present("networks.submission-ports", n.submissionPorts())) {
            List<Integer> ports = n.submissionPorts();
            p.require("networks.submission-ports", ports, ports.size() <= 16, "at most 16 ports, e.g. [587, 465]");
            for (int i = 0; i < ports.size(); i++) {
                Integer port = ports.get(i);
                p.require("networks.submission-ports[" + i + "]", port, port != null && port >= 1 && port <= 65535,
                        "a TCP port from 1 to 65535 (a Postfix submission service, e.g. 587 or 465)");
            }
        }
        p.wholeNumber("networks.clean-history-messages", n.cleanHistoryMessages(), 0, 1_000_000);
        if (p.present("networks.ipv6-tiers", n.ipv6Tiers())) {
            tiers(n.ipv6Tiers(), p);
        }
    }

    /** Narrowest first, each wider than the one before and than a /64; crowds of 2 to 64 children. */
    private static void tiers(List<PostwardenConfig.Ipv6Tier> tiers, Problems p) {
        p.require("networks.ipv6-tiers", tiers.size() + " tiers", tiers.size() <= MAX_TIERS,
                "at most " + MAX_TIERS + " tiers, e.g. [{prefix: 56, min-children: 3}, {prefix: 48, min-children: 3}]");
        int child = 64;
        for (int i = 0; i < tiers.size(); i++) {
            String k = "networks.ipv6-tiers[" + i + "]";
            PostwardenConfig.Ipv6Tier t = tiers.get(i);
            if (t == null) {
                p.fail(k, null, "{prefix: N, min-children: N} (optionally ban-min-children, cap)");
                continue;
            }
            if (t.prefix() < 16 || t.prefix() >= child) {
                p.fail(k + ".prefix", t.prefix(), "a prefix length from 16 to " + (child - 1) + " (tiers go from "
                        + "narrow to wide: each shorter than /" + child + (i == 0 ? ", the IPv6 host" : ", the tier "
                        + "before") + ")");
            } else {
                child = t.prefix();
            }
            p.wholeNumber(k + ".min-children", t.minChildren(), 2, 64);
            if (t.banMinChildren() != null && t.banMinChildren() != 0) {
                p.wholeNumber(k + ".ban-min-children", t.banMinChildren(), 2, 64);
            }
            if (t.cap() != null) {
                p.require(k + ".cap", t.cap(), t.cap() > 0 && t.cap() < 1e6, "a number above 0 and below 1000000 "
                        + "(the most one child adds; leave it out for bans.threshold)");
            }
        }
    }

    static void allowlist(PostwardenConfig.Allowlist a, Problems p) {
        p.cidrs("allowlist.clients", a.clients());
        p.strings("allowlist.sasl-users", a.saslUsers());
        p.cidrs("allowlist.trust-ok", a.trustOk());
    }
}
