package org.postwarden.dnsbl;

import org.postwarden.model.Addresses;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.Inet4Address;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Whether one zone domain scores: none of its listings count while it is <em>failing</em> (it answered a
 * query-error code; cleared by its next sane answer, a listing or NXDOMAIN) or <em>switched off</em> by its RFC 5782
 * probe (it listed a test address no list lists, or did not list its test point; cleared only by a probe that
 * passes, since a zone that lists everything answers every query "sanely"). Each change of the error-code state is
 * logged once (WARN when it starts, INFO when it recovers); the probe's changes are logged and alerted by
 * {@link DnsMonitor}. The gauges {@code postwarden_dnsbl_zone_failing{zone}} and
 * {@code postwarden_dnsbl_zone_switched_off{zone}} read {@link #errorCodes()} and {@link #switchedOff()}. Shared by
 * the domain's entries of every kind. Thread-safe, lock-free.
 */
final class ZoneHealth {
    private static final Logger LOG = LoggerFactory.getLogger(DnsblClient.class);
    private final String domain;
    private final AtomicBoolean failing = new AtomicBoolean();
    /** Why the last conclusive probe failed, or null while it scores (never probed, or the last probe passed). */
    private final AtomicReference<String> switchedOff = new AtomicReference<>();

    ZoneHealth(String domain) {
        this.domain = domain;
    }

    String domain() {
        return domain;
    }

    /** Whether the zone scores nothing now: failing (error codes) or switched off (probe). */
    boolean failing() {
        return failing.get() || switchedOff.get() != null;
    }

    /** Whether the zone's last answer was a query-error code. */
    boolean errorCodes() {
        return failing.get();
    }

    /** Why the last conclusive probe failed, or null when the zone is not switched off. */
    String switchedOff() {
        return switchedOff.get();
    }

    /** Why the zone scores nothing now, or null when it scores. */
    String whyOff() {
        String off = switchedOff.get();
        if (off != null) {
            return "zone " + domain + " is switched off by its probe (" + off + "); its listings score nothing "
                    + "until it answers its test points sanely";
        }
        return failing.get() ? "zone " + domain + " is failing (query-error codes); its listings score nothing "
                + "until it answers sanely" : null;
    }

    /**
     * The probe failed for {@code why}: the zone stops scoring at once. Returns whether this is a change (it was
     * scoring by its probe before).
     */
    boolean switchOff(String why) {
        return switchedOff.getAndSet(why) == null;
    }

    /** The probe passed: the zone scores again. Returns whether this is a change (it was switched off before). */
    boolean switchOn() {
        return switchedOff.getAndSet(null) != null;
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
            LOG.info("DNSBL zone {} answers sanely again; its listings count again{}", domain,
                    switchedOff.get() == null ? "" : " once its probe passes (it is switched off: "
                            + switchedOff.get() + ")");
        }
    }
}
