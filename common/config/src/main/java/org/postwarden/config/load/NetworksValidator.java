package org.postwarden.config.load;

import org.postwarden.config.PostwardenConfig;
import org.postwarden.model.Cidr;

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
        if (a.trustOk() != null && !a.iKnowThisOpensARelay()) {
            p.each("allowlist.trust-ok", a.trustOk(), NetworksValidator::relayRisk);
        }
    }

    /** Widest {@code allowlist.trust-ok} network accepted without the switch: an IPv4 /24 (256 addresses)... */
    static final int TRUST_OK_MIN_PREFIX_V4 = 24;
    /** ...and an IPv6 /64 (one LAN). */
    static final int TRUST_OK_MIN_PREFIX_V6 = 64;
    /**
     * Addresses through which a container runtime hands over connections from anywhere (its port forwarding makes
     * them the client address Postfix sees): Docker's default bridge gateway, Podman's default bridge gateway, the
     * slirp4netns host address of rootless containers.
     */
    static final List<String> FORWARDING_GATEWAYS = List.of("172.17.0.1", "10.88.0.1", "10.0.2.2");
    /** The NAT64 well-known prefix: a network inside it wider than /120 stands for as many IPv4 hosts. */
    private static final Cidr NAT64 = Cidr.parse("64:ff9b::/96");

    /**
     * Why {@code item} (a trust-ok network) opens a relay, or null: wider than {@link #TRUST_OK_MIN_PREFIX_V4} /
     * {@link #TRUST_OK_MIN_PREFIX_V6}, or holding a {@link #FORWARDING_GATEWAYS container gateway}. An item that
     * does not parse is left to the syntax check.
     */
    private static String relayRisk(String item) {
        Cidr c;
        try {
            c = Cidr.parse(item);
        } catch (IllegalArgumentException e) {
            return null;
        }
        boolean v4 = c.network() instanceof java.net.Inet4Address;
        int bound = v4 ? TRUST_OK_MIN_PREFIX_V4 : NAT64.contains(c.network()) ? 120 : TRUST_OK_MIN_PREFIX_V6;
        String why = " (allowlist.trust-ok answers OK, which skips the rest of Postfix's restriction list, "
                + "reject_unauth_destination included, so every client in it may relay mail to anywhere: an open "
                + "relay; set allowlist.i-know-this-opens-a-relay: true to accept it anyway)";
        if (c.prefix() < bound) {
            return "a network of at most " + (v4 ? "256 addresses (/" + bound + ")" : bound == 120
                    ? "256 NAT64 addresses (/120)" : "one /" + bound) + why;
        }
        for (String g : FORWARDING_GATEWAYS) {
            if (c.contains(Cidr.parseAddress(g))) {
                return "a network without the container bridge gateway " + g + ", the address every connection "
                        + "forwarded by Docker or Podman comes from" + why;
            }
        }
        return null;
    }
}
