package org.postwarden.dnsbl;

import org.postwarden.config.HostPort;
import org.postwarden.config.PostwardenConfig;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Objects;

/**
 * What {@link SenderPools} needs, from {@code greylist.pools}. Value semantics: a reload that leaves these equal
 * keeps the running lookups and their warm cache.
 *
 * @param resolver         resolver address, or null for the system's ({@code /etc/resolv.conf})
 * @param timeout          how long one request waits for pool lookups
 * @param queryTimeout     how long one DNS query may take
 * @param cacheTtl         how long answers (positive and negative) are kept
 * @param publicSuffixList the Public Suffix List file, or "" for the built-in approximation
 */
public record PoolSettings(InetSocketAddress resolver, Duration timeout, Duration queryTimeout, Duration cacheTtl,
        String publicSuffixList) {

    public PoolSettings {
        Objects.requireNonNull(timeout, "timeout");
        Objects.requireNonNull(queryTimeout, "queryTimeout");
        Objects.requireNonNull(cacheTtl, "cacheTtl");
        publicSuffixList = publicSuffixList == null ? "" : publicSuffixList;
    }

    /** The settings of a validated {@code greylist.pools} section. */
    public static PoolSettings of(PostwardenConfig.GreylistPools p) {
        return new PoolSettings(p.resolver().isBlank() ? null : HostPort.parse(p.resolver()).socketAddress(),
                p.timeout(), p.queryTimeout(), p.cacheTtl(), p.publicSuffixList());
    }
}
