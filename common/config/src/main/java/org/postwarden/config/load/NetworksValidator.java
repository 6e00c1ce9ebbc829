package org.postwarden.config.load;

import org.postwarden.config.PostwardenConfig;

/** The {@code networks:} section (our domains, names and addresses, trusted networks) and {@code allowlist:}. */
final class NetworksValidator {
    private NetworksValidator() {
    }

    static void networks(PostwardenConfig.Networks n, Problems p) {
        p.strings("networks.local-domains", n.localDomains());
        p.strings("networks.own-names", n.ownNames());
        p.cidrs("networks.own-addresses", n.ownAddresses());
        p.cidrs("networks.trusted", n.trusted());
        p.wholeNumber("networks.clean-history-messages", n.cleanHistoryMessages(), 0, 1_000_000);
    }

    static void allowlist(PostwardenConfig.Allowlist a, Problems p) {
        p.cidrs("allowlist.clients", a.clients());
        p.strings("allowlist.sasl-users", a.saslUsers());
        p.cidrs("allowlist.trust-ok", a.trustOk());
    }
}
