package org.postwarden.dnsbl;

import org.postwarden.model.Addresses;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.Inet4Address;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Whether one zone domain is failing: it answered a query-error code, so none of its listings count until it
 * answers sanely again (a listing or NXDOMAIN). Each change is logged once (WARN when it starts failing, INFO when
 * it recovers); the gauge {@code postwarden_dnsbl_zone_failing{zone}} reads {@link #failing()}. Shared by the
 * domain's entries of every kind. Thread-safe, lock-free.
 */
final class ZoneHealth {
    private static final Logger LOG = LoggerFactory.getLogger(DnsblClient.class);
    private final String domain;
    private final AtomicBoolean failing = new AtomicBoolean();

    ZoneHealth(String domain) {
        this.domain = domain;
    }

    boolean failing() {
        return failing.get();
    }

    /** The zone answered {@code code}, a query-error code, for {@code shown} (the target as logs show it). */
    void markFailing(Inet4Address code, String shown) {
        if (failing.compareAndSet(false, true)) {
            LOG.warn("DNSBL zone {} is failing: it answered {} for {}, a query-error code (a typo in the zone name, "
                    + "queries through a public resolver refused, or over quota); it scores nothing until it answers "
                    + "sanely again", domain, Addresses.format(code), shown);
        }
    }

    /** The zone gave a sane answer (a listing with sane codes, or not listed). */
    void healthy() {
        if (failing.get() && failing.compareAndSet(true, false)) {
            LOG.info("DNSBL zone {} answers sanely again; its listings count again", domain);
        }
    }
}
