package org.postwarden.dnsbl;

import java.net.Inet4Address;
import java.util.List;
import java.util.Locale;
import org.postwarden.model.Addresses;

/** What one zone said about one target. NXDOMAIN and NODATA are {@link NotListed}, never an exception. */
public sealed interface DnsblResult {

    /** The shared "not listed" value. */
    NotListed NOT_LISTED = new NotListed();

    /** Listed with these return codes (A records), all inside 127.0.0.0/8 and none of them an error code. */
    record Listed(List<Inet4Address> codes) implements DnsblResult {
        public Listed {
            codes = List.copyOf(codes);
        }

        /** The codes as text, e.g. {@code 127.0.0.2,127.0.0.4}. */
        public String codesText() {
            StringBuilder sb = new StringBuilder();
            for (Inet4Address a : codes) {
                if (!sb.isEmpty()) {
                    sb.append(',');
                }
                sb.append(Addresses.format(a));
            }
            return sb.toString();
        }

        @Override
        public String toString() {
            return "Listed[" + codesText() + "]";
        }
    }

    /** Not listed (NXDOMAIN, or no A record). */
    record NotListed() implements DnsblResult {
    }

    /**
     * No usable answer: scores nothing.
     *
     * @param reason bounded reason (metric label)
     * @param detail human-readable detail for logs; never contains a DQS key
     */
    record Failed(Reason reason, String detail) implements DnsblResult {
    }

    /** Why a lookup gave no usable answer. Bounded: a metric label. */
    enum Reason {
        /** No answer within the query timeout, or within the decision's wait ({@code dnsbl.timeout}). */
        TIMEOUT,
        /** The resolver answered SERVFAIL. */
        SERVFAIL,
        /** Another error rcode (REFUSED, FORMERR, ...). */
        RCODE,
        /** The zone answered a code that means a query error (e.g. 127.255.255.254), or one outside 127/8. */
        ERROR_CODE,
        /** Network or protocol error talking to the resolver. */
        NETWORK,
        /** Too many queries in flight ({@code dnsbl.max-in-flight}); nothing was sent. */
        OVERLOAD,
        /** The zone is switched off: its RFC 5782 probe failed (it seems to list everything). */
        SWITCHED_OFF,
        /** The client is shutting down. */
        CLOSED;

        public String label() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }
}
