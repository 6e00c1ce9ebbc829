package org.postwarden.daemon;

import org.postwarden.model.Addresses;
import org.postwarden.dnsbl.DnsblClient;
import org.postwarden.dnsbl.DnsblWatch;
import org.postwarden.dnsbl.PoolSettings;
import org.postwarden.dnsbl.SenderPools;
import org.postwarden.dnsbl.zone.DnsblSettings;
import org.postwarden.metrics.PostwardenMetrics;
import org.postwarden.model.Cidr;
import org.postwarden.model.TimeSource;
import org.postwarden.rules.Rules;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The DNS clients an engine generation uses, for the daemon's start and reload: each is kept when a reload leaves
 * its settings unchanged (with its warm cache), else replaced by a new one (the daemon closes the old one).
 */
final class DnsClients {
    private static final Logger LOG = LoggerFactory.getLogger(Daemon.class);

    private DnsClients() {
    }

    /**
     * The DNSBL client for {@code rules}: null when {@code dnsbl.enabled} is false, {@code running} when its
     * settings are unchanged (its warm cache is kept), else a new client with its monitor (zone probes, own
     * addresses) started, reporting to {@code watch} and taking over what {@code running} knew.
     */
    static DnsblClient dnsbl(Rules rules, DnsblClient running, PostwardenMetrics metrics,
            TimeSource time, DnsblWatch watch) {
        if (!rules.config().dnsbl().ownIps().isEmpty() && (running == null || rules.dnsbl() == null
                || !running.settings().equals(rules.dnsbl()))) {
            LOG.warn("dnsbl.own-ips is deprecated: its addresses are merged into networks.own-addresses (never "
                    + "counted, scored or banned, and checked in the DNSBL zones); list them there instead");
        }
        DnsblSettings s = rules.dnsbl();
        if (s == null) {
            return null;
        }
        if (running != null && running.settings().equals(s)) {
            return running;
        }
        DnsblClient c = DnsblClient.create(s, metrics, time);
        c.startMonitoring(watch, running);
        LOG.info("DNSBL on: {} zone entries, resolver {}, wait {}", s.zones().size(),
                s.resolver() == null ? "from /etc/resolv.conf" : s.resolver(), s.timeout());
        for (Cidr n : rules.unmonitoredOwnNetworks()) {
            LOG.info("networks.own-addresses {}/{} is not checked in the DNSBL zones (wider than {} addresses, or "
                    + "past {} in all): list its sending addresses one by one", Addresses.format(n.network()),
                    n.prefix(), Rules.MONITORED_NETWORK_SIZE, Rules.MONITORED_ADDRESSES);
        }
        return c;
    }

    /**
     * The sender pools' DNS lookups for {@code rules}: null when greylisting is off or uses no DNS pool (PTR, SPF),
     * {@code running} when its settings are unchanged (its warm cache is kept), else a new one.
     */
    static SenderPools pools(Rules rules, SenderPools running, PostwardenMetrics metrics,
            TimeSource time) {
        if (rules.greylist() == null || !rules.greylist().dnsPools()) {
            return null;
        }
        PoolSettings s = PoolSettings.of(rules.config().greylist().pools());
        if (running != null && running.settings().equals(s)) {
            return running;
        }
        SenderPools p = SenderPools.create(s, metrics, time);
        LOG.info("greylisting on, sender pools by{}{}{}: resolver {}, wait {}",
                rules.greylist().poolNetworks().isEmpty() ? "" : " networks,",
                rules.greylist().ptrPools() ? " PTR domain" + (p.publicSuffixList() ? "" : " (approximated)") : "",
                rules.greylist().spfPools() ? " SPF" : "",
                s.resolver() == null ? "from /etc/resolv.conf" : s.resolver(), s.timeout());
        return p;
    }
}
