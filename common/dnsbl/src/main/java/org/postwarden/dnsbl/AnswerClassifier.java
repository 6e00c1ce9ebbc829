package org.postwarden.dnsbl;

import org.postwarden.dnsbl.zone.CodeFilter;
import org.postwarden.dnsbl.zone.DnsblSettings;
import org.postwarden.metrics.PostwardenMetrics;
import org.postwarden.model.Addresses;
import org.postwarden.model.TimeSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Turns what the resolver said for one zone into a {@link ZoneAnswer}: listed (A records inside 127.0.0.0/8, none an
 * error code), not listed (NXDOMAIN, or no A record), or failed (SERVFAIL and other rcodes, timeouts, network
 * errors, and query-error codes). A query-error code (anything outside 127.0.0.0/8, and {@code dnsbl.error-codes})
 * marks the zone failing; any sane answer marks it healthy ({@link ZoneHealth}). Sets each answer's expiry: the
 * record TTL, or the SOA's for a negative answer, clamped to {@code min-ttl..max-ttl}; {@code failure-ttl} for
 * failures. Counts listings, errors and query timeouts. Stateless but for the zones' health; thread-safe.
 */
final class AnswerClassifier {
    private static final Logger LOG = LoggerFactory.getLogger(DnsblClient.class);

    private final DnsblSettings settings;
    private final PostwardenMetrics metrics;
    private final TimeSource time;

    AnswerClassifier(DnsblSettings settings, PostwardenMetrics metrics, TimeSource time) {
        this.settings = settings;
        this.metrics = metrics;
        this.time = time;
    }

    /** The answer {@code m} from zone {@code z} for target {@code shown} (as logs show it). */
    ZoneAnswer classify(Zone z, Message m, String shown) {
        return classify(z, m, shown, true);
    }

    /** {@link #classify(Zone, Message, String)}; a listing is counted only when {@code countListing}. */
    ZoneAnswer classify(Zone z, Message m, String shown, boolean countListing) {
        long now = time.nanos();
        int rcode = m.getRcode();
        if (rcode == Rcode.NXDOMAIN) {
            z.health.healthy();
            return new ZoneAnswer(DnsblResult.NOT_LISTED, now + clamp(negativeTtl(m)));
        }
        if (rcode != Rcode.NOERROR) {
            DnsblResult.Reason r = rcode == Rcode.SERVFAIL ? DnsblResult.Reason.SERVFAIL : DnsblResult.Reason.RCODE;
            metrics.dnsblError(z.domain, r.label());
            return new ZoneAnswer(new DnsblResult.Failed(r, "resolver answered " + Rcode.string(rcode)),
                    now + settings.failureTtl().toNanos());
        }
        List<Inet4Address> codes = new ArrayList<>(2);
        long ttl = Long.MAX_VALUE;
        for (org.xbill.DNS.Record r : m.getSection(Section.ANSWER)) {
            if (r instanceof ARecord a && a.getAddress() instanceof Inet4Address v4) {
                codes.add(bare(v4));
                ttl = Math.min(ttl, r.getTTL());
            }
        }
        if (codes.isEmpty()) {
            z.health.healthy();
            return new ZoneAnswer(DnsblResult.NOT_LISTED, now + clamp(negativeTtl(m)));
        }
        for (Inet4Address code : codes) {
            if (errorCode(code)) {
                metrics.dnsblError(z.domain, DnsblResult.Reason.ERROR_CODE.label());
                z.health.markFailing(code, shown);
                return new ZoneAnswer(new DnsblResult.Failed(DnsblResult.Reason.ERROR_CODE, "zone " + z.domain
                        + " answered " + Addresses.format(code) + ", a query-error code (not a listing)"),
                        now + settings.failureTtl().toNanos());
            }
        }
        z.health.healthy();
        if (countListing) {
            metrics.dnsblListing(z.domain);
        }
        return new ZoneAnswer(new DnsblResult.Listed(codes), now + clamp(ttl));
    }

    /** No answer from the resolver within {@code dnsbl.query-timeout}. */
    ZoneAnswer timedOut(Zone z) {
        metrics.dnsblTimeout(z.domain, "query");
        return new ZoneAnswer(new DnsblResult.Failed(DnsblResult.Reason.TIMEOUT, "no answer from the resolver within "
                + "dnsbl.query-timeout (" + settings.queryTimeout().toMillis() + "ms)"),
                time.nanos() + settings.failureTtl().toNanos());
    }

    /** The query to {@code z} failed with {@code t}: a timeout, the client shutting down, or a network error. */
    ZoneAnswer failure(Zone z, Throwable t) {
        Throwable c = t;
        while ((c instanceof CompletionException || c instanceof ExecutionException) && c.getCause() != null) {
            c = c.getCause();
        }
        if (c instanceof SocketTimeoutException || c instanceof TimeoutException) {
            return timedOut(z);
        }
        if (c instanceof RejectedExecutionException) {
            return new ZoneAnswer(new DnsblResult.Failed(DnsblResult.Reason.CLOSED, "DNSBL client closed"),
                    time.nanos());
        }
        metrics.dnsblError(z.domain, DnsblResult.Reason.NETWORK.label());
        String detail = settings.redact(String.valueOf(c));
        LOG.debug("DNSBL query to {} failed: {}", z.domain, detail);
        return new ZoneAnswer(new DnsblResult.Failed(DnsblResult.Reason.NETWORK, detail),
                time.nanos() + settings.failureTtl().toNanos());
    }

    /**
     * The address without the host name dnsjava attaches (the record's owner name, which holds the query name and so
     * the DQS key: it would show in every {@code toString()}).
     */
    private static Inet4Address bare(Inet4Address a) {
        try {
            return (Inet4Address) InetAddress.getByAddress(a.getAddress());
        } catch (UnknownHostException e) {
            throw new IllegalStateException("4-byte address refused", e);
        }
    }

    /** Anything outside 127.0.0.0/8, and the configured error codes. */
    boolean errorCode(Inet4Address code) {
        if ((code.getAddress()[0] & 0xFF) != 127) {
            return true;
        }
        for (CodeFilter f : settings.errorCodes()) {
            if (f.matches(code)) {
                return true;
            }
        }
        return false;
    }

    private long negativeTtl(Message m) {
        for (org.xbill.DNS.Record r : m.getSection(Section.AUTHORITY)) {
            if (r instanceof SOARecord soa) {
                return Math.min(soa.getTTL(), soa.getMinimum());
            }
        }
        return settings.minTtl().toSeconds();
    }

    /** {@code seconds} clamped to min-ttl..max-ttl, in nanoseconds. */
    long clamp(long seconds) {
        long ns = TimeUnit.SECONDS.toNanos(Math.max(0, seconds));
        return Math.max(settings.minTtl().toNanos(), Math.min(settings.maxTtl().toNanos(), ns));
    }
}
