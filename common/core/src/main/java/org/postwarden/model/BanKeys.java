package org.postwarden.model;

import java.util.Arrays;
import java.util.stream.Collectors;

/** Which client key a ban of a network is stored under: bans apply to the key levels, not to arbitrary prefixes. */
public final class BanKeys {
    private BanKeys() {
    }

    /**
     * The key of {@code c}: an IPv4 /32 or /24, an IPv6 /128, /64, /{@code widePrefix} or one of the
     * {@code tierPrefixes} (the tiers of {@code networks.ipv6-tiers}; stored at the wide level with their own prefix).
     *
     * @throws IllegalArgumentException for any other prefix length, naming the ones that apply
     */
    public static ClientKey of(Cidr c, int widePrefix, int... tierPrefixes) {
        boolean v4 = c.network().getAddress().length == 4;
        KeyLevel level = null;
        int prefix = widePrefix;
        if (v4) {
            level = c.prefix() == 32 ? KeyLevel.HOST : c.prefix() == 24 ? KeyLevel.SUBNET : null;
        } else if (c.prefix() == 128) {
            level = KeyLevel.HOST;
        } else if (c.prefix() == 64) {
            level = KeyLevel.SUBNET;
        } else if (c.prefix() == widePrefix || Arrays.stream(tierPrefixes).anyMatch(p -> p == c.prefix())) {
            level = KeyLevel.WIDE;
            prefix = c.prefix();
        }
        if (level == null) {
            String tiers = Arrays.stream(tierPrefixes).filter(p -> p != widePrefix).mapToObj(p -> ", /" + p)
                    .collect(Collectors.joining());
            throw new IllegalArgumentException("expected an IPv4 /32 or /24, or an IPv6 /128, /64 or /" + widePrefix
                    + " (store.ipv6-wide-prefix)" + (tiers.isEmpty() ? "" : tiers + " (networks.ipv6-tiers)")
                    + ": bans apply to these key levels");
        }
        return ClientKey.of(c.network(), level, prefix);
    }
}
