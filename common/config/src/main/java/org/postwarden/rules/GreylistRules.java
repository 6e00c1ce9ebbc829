package org.postwarden.rules;

import org.postwarden.config.PostwardenConfig;
import org.postwarden.model.Cidr;

import java.net.InetAddress;
import java.time.Duration;
import java.util.List;

/**
 * The {@code greylist:} section compiled: the windows, who is doubtful, and the configured sender pools (CIDRs).
 * Immutable. The DNS side of the pools (PTR, SPF) is the DNS module's ({@code org.postwarden.dnsbl.SenderPools}).
 *
 * @param deferIfPermit   answer Postfix {@code DEFER_IF_PERMIT} (else a 450 at once)
 * @param delay           a retry sooner than this after the first attempt is deferred again
 * @param retryWindow     a retry later than this after the first attempt starts over
 * @param maxAge          entries not seen for this long are forgotten
 * @param autoAllowlistAfter passed retries after which a client network is no longer greylisted (0: never)
 * @param maxEntries      (sender, recipient) pairs kept, and as many client networks
 * @param minScore        host score plus DNS list weights from which a client is doubtful (0: off)
 * @param noReverseName   a client without a verified reverse name is doubtful
 * @param genericHelo     a client with a generic-looking HELO is doubtful
 * @param poolNetworks    networks each of which is one sender pool
 * @param ptrPools        whether the registered domain of forward-confirmed PTR names is a pool
 * @param spfPools        whether the sender domain's SPF record is a pool
 */
public record GreylistRules(boolean deferIfPermit, Duration delay, Duration retryWindow, Duration maxAge,
        int autoAllowlistAfter, long maxEntries, double minScore, boolean noReverseName, boolean genericHelo,
        List<Cidr> poolNetworks, boolean ptrPools, boolean spfPools) {

    public GreylistRules {
        poolNetworks = List.copyOf(poolNetworks);
    }

    /** Compiles a validated section. */
    static GreylistRules of(PostwardenConfig.Greylist g) {
        return new GreylistRules("defer-if-permit".equals(g.action()), g.delay(), g.retryWindow(), g.maxAge(),
                g.autoAllowlistAfter(), g.maxEntries(), g.minScore(), g.noReverseName(), g.genericHelo(),
                CidrLists.parse(g.pools().networks()), g.pools().ptr(), g.pools().spf());
    }

    /** The configured pool network holding both {@code a} and {@code b}, or null. */
    public Cidr poolNetwork(InetAddress a, InetAddress b) {
        for (Cidr c : poolNetworks) {
            if (c.contains(a) && c.contains(b)) {
                return c;
            }
        }
        return null;
    }

    /** Whether any pool needs DNS (PTR or SPF). */
    public boolean dnsPools() {
        return ptrPools || spfPools;
    }
}
