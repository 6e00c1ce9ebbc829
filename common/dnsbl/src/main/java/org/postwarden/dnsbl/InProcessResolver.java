package org.postwarden.dnsbl;

import org.xbill.DNS.EDNSOption;
import org.xbill.DNS.Resolver;
import org.xbill.DNS.TSIG;

import java.time.Duration;
import java.util.List;

/**
 * A resolver that answers in-process, from its own tables, for tests and benchmarks ({@link DnsblClient} takes any
 * {@link Resolver}): subclasses implement {@code sendAsync}; the transport settings a client makes are ignored.
 */
public abstract class InProcessResolver implements Resolver {

    @Override
    public void setPort(int port) {
    }

    @Override
    public void setTCP(boolean flag) {
    }

    @Override
    public void setIgnoreTruncation(boolean flag) {
    }

    @Override
    public void setEDNS(int version, int payloadSize, int flags, List<EDNSOption> options) {
    }

    @Override
    public void setTSIGKey(TSIG key) {
    }

    @Override
    public void setTimeout(Duration timeout) {
    }
}
