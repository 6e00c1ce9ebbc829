package org.postwarden.config.load;

import org.postwarden.config.PostwardenConfig;

import java.util.List;

/**
 * The {@code networks:} section (our domains, names and addresses, trusted networks, submission ports, the clean
 * history) and {@code allowlist:}.
 */
final class NetworksValidator {
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
    }

    static void allowlist(PostwardenConfig.Allowlist a, Problems p) {
        p.cidrs("allowlist.clients", a.clients());
        p.strings("allowlist.sasl-users", a.saslUsers());
        p.cidrs("allowlist.trust-ok", a.trustOk());
    }
}
