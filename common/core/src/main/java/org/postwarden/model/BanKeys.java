package org.postwarden.model;

/** Which client key a ban of a network is stored under: bans apply to the key levels, not to arbitrary prefixes. */
public final class BanKeys {
    private BanKeys() {
    }

    /**
     * The key of {@code c}: an IPv4 /32 or /24, an IPv6 /128, /64 or /{@code widePrefix}.
     *
     * @throws IllegalArgumentException for any other prefix length, naming the ones that apply
     */
    public static ClientKey of(Cidr c, int widePrefix) {
        boolean v4 = c.network().getAddress().length == 4;
        KeyLevel level = null;
        if (v4) {
            level = c.prefix() == 32 ? KeyLevel.HOST : c.prefix() == 24 ? KeyLevel.SUBNET : null;
        } else if (c.prefix() == 128) {
            level = KeyLevel.HOST;
        } else if (c.prefix() == 64) {
            level = KeyLevel.SUBNET;
        } else if (c.prefix() == widePrefix) {
            level = KeyLevel.WIDE;
        }
        if (level == null) {
            throw new IllegalArgumentException("expected an IPv4 /32 or /24, or an IPv6 /128, /64 or /" + widePrefix
                    + " (store.ipv6-wide-prefix): bans apply to these key levels");
        }
        return ClientKey.of(c.network(), level, widePrefix);
    }
}
