package org.postwarden.rules;

/**
 * One network level a client is judged by besides its own: the IPv4 /24 (its children are hosts), or one tier of
 * {@code networks.ipv6-tiers} (its children are the /64s, or the previous tier's prefixes). A network's score is the
 * sum of its children's shares, each at most {@code cap}; it moves its clients' verdicts once {@code minChildren}
 * distinct children contributed and is banned once {@code banMinChildren} did (0: never; {@code bannable} false: it
 * is wider than {@code bans.max-ipv6-prefix}). Immutable.
 *
 * @param prefix         prefix length (24 for IPv4)
 * @param minChildren    distinct contributing children before the score counts
 * @param banMinChildren distinct contributing children before a ban (0: never banned)
 * @param cap            the most one child adds
 * @param bannable       whether a ban of this network may be issued at all
 * @param minKey         the configuration key of {@code minChildren}, for explanations
 * @param banMinKey      the configuration key of {@code banMinChildren}
 * @param children       what its children are, plural ("hosts", "/64s", "/56s")
 */
public record NetworkTier(int prefix, int minChildren, int banMinChildren, double cap, boolean bannable,
        String minKey, String banMinKey, String children) {

    /** "2 /64s", "1 host". */
    public String count(int n) {
        return n + " " + (n == 1 && children.endsWith("s") ? children.substring(0, children.length() - 1)
                : children);
    }
}
