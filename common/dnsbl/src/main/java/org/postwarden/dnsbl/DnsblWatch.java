package org.postwarden.dnsbl;

import java.net.InetAddress;

/**
 * What the DNSBL client's monitor reports as it happens, once per change (never once per check): one of our own
 * addresses became listed in a zone or was delisted, a zone was switched off by its RFC 5782 probe or scores again.
 * The daemon turns these into alerts. Called on the DNS client's threads, never on an event loop; implementations
 * must return quickly and must not throw.
 */
public interface DnsblWatch {

    /** {@code address}, one of ours, is now listed in {@code zone} with {@code codes} (e.g. {@code 127.0.0.2}). */
    void ownAddressListed(InetAddress address, String zone, String codes);

    /** {@code address}, one of ours and listed in {@code zone} before, is no longer listed there. */
    void ownAddressDelisted(InetAddress address, String zone);

    /** {@code zone} failed its probe for {@code why}: it scores nothing until a probe passes. */
    void zoneSwitchedOff(String zone, String why);

    /** {@code zone}, switched off before, passed its probe: it scores again. */
    void zoneSwitchedOn(String zone);

    /** Reports nothing (the client's own log lines and metrics remain). */
    DnsblWatch NONE = new DnsblWatch() {
        @Override
        public void ownAddressListed(InetAddress address, String zone, String codes) {
        }

        @Override
        public void ownAddressDelisted(InetAddress address, String zone) {
        }

        @Override
        public void zoneSwitchedOff(String zone, String why) {
        }

        @Override
        public void zoneSwitchedOn(String zone) {
        }
    };
}
