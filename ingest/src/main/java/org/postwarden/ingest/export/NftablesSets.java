package org.postwarden.ingest.export;

import org.postwarden.model.Addresses;
import org.postwarden.config.PostwardenConfig;
import org.postwarden.model.Cidr;
import org.postwarden.reputation.Ban;

import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * What the nftables sets should hold, and the {@code nft -f} batch that makes them hold it. Pure functions.
 *
 * <p>An nftables set with {@code flags interval} refuses overlapping elements ("interval overlaps with an existing
 * one"), so the bans become address ranges first: trusted, own and allowlisted networks are cut out of the bans that
 * hold them (a firewall has no {@code DUNNO}, and such a host is never refused), and an element that lies inside
 * another (a host ban inside a network ban) is left out while the wider one lasts (when it ends, the bans change and
 * the sets are written again with the inner one). Bans are CIDR networks, so the ranges nest or are disjoint, and one
 * sweep in address order finds the nested ones.
 */
final class NftablesSets {
    /** Elements per {@code add element} line of a batch. */
    static final int CHUNK = 500;

    private NftablesSets() {
    }

    /** One address range of one family, with the end of its ban ({@link Long#MAX_VALUE}: permanent). */
    record Element(boolean v6, BigInteger lo, BigInteger hi, long untilMillis) {
        /** {@code 192.0.2.7}, {@code 198.51.100.0/24}, {@code 10.0.0.0-10.0.0.4}, plus {@code timeout Ns}. */
        String text(long nowMillis) {
            String net = range(v6, lo, hi);
            return untilMillis == Long.MAX_VALUE ? net
                    : net + " timeout " + Math.max(1, (untilMillis - nowMillis + 999) / 1000) + "s";
        }
    }

    /**
     * The elements for the active {@code bans} and the {@code permanent} networks at {@code now}, with the networks of
     * {@code networks.trusted}, {@code networks.own-addresses} and {@code allowlist.clients} cut out, nested elements
     * left out, sorted by family and address.
     */
    static List<Element> elements(List<Ban> bans, List<Cidr> permanent, PostwardenConfig config, long now) {
        List<Element> all = new ArrayList<>();
        for (Ban b : bans) {
            if (b.activeAt(now)) {
                add(all, Cidr.parse(b.key().cidr()), b.untilMillis());
            }
        }
        for (Cidr c : permanent) {
            add(all, c, Long.MAX_VALUE);
        }
        List<Element> holes = new ArrayList<>();
        List<String> ours = new ArrayList<>(config.networks().trusted());
        ours.addAll(config.networks().ownAddresses());
        ours.addAll(config.allowlist().clients());
        for (String o : ours) {
            add(holes, Cidr.parse(o), 0);
        }
        List<Element> cut = new ArrayList<>();
        for (Element e : all) {
            cut.addAll(subtract(e, holes));
        }
        // nested ranges: sorted by start, wider first, a range ending inside the last kept one lies inside it
        cut.sort(Comparator.comparing(Element::v6).thenComparing(Element::lo)
                .thenComparing(Element::hi, Comparator.reverseOrder())
                .thenComparing(Element::untilMillis, Comparator.reverseOrder()));
        List<Element> out = new ArrayList<>();
        Element last = null;
        for (Element e : cut) {
            if (last != null && last.v6() == e.v6() && e.hi().compareTo(last.hi()) <= 0) {
                continue;
            }
            out.add(e);
            last = e;
        }
        return List.copyOf(out);
    }

    private static void add(List<Element> to, Cidr c, long until) {
        byte[] b = c.network().getAddress();
        int bits = b.length * 8;
        BigInteger lo = new BigInteger(1, b);
        BigInteger hi = lo.add(BigInteger.ONE.shiftLeft(bits - c.prefix())).subtract(BigInteger.ONE);
        to.add(new Element(b.length == 16, lo, hi, until));
    }

    /** {@code e} without the addresses of {@code holes}: zero, one or more ranges. */
    static List<Element> subtract(Element e, List<Element> holes) {
        List<Element> in = holes.stream().filter(h -> h.v6() == e.v6() && h.hi().compareTo(e.lo()) >= 0
                && h.lo().compareTo(e.hi()) <= 0).sorted(Comparator.comparing(Element::lo)).toList();
        if (in.isEmpty()) {
            return List.of(e);
        }
        List<Element> out = new ArrayList<>();
        BigInteger from = e.lo();
        for (Element h : in) {
            if (h.lo().compareTo(from) > 0) {
                out.add(new Element(e.v6(), from, h.lo().subtract(BigInteger.ONE), e.untilMillis()));
            }
            if (h.hi().add(BigInteger.ONE).compareTo(from) > 0) {
                from = h.hi().add(BigInteger.ONE);
            }
        }
        if (from.compareTo(e.hi()) <= 0) {
            out.add(new Element(e.v6(), from, e.hi(), e.untilMillis()));
        }
        return out;
    }

    /** A CIDR when the range is one ({@code /32} and {@code /128} as a bare address), else {@code LO-HI}. */
    static String range(boolean v6, BigInteger lo, BigInteger hi) {
        BigInteger size = hi.subtract(lo).add(BigInteger.ONE);
        int bits = v6 ? 128 : 32;
        if (size.bitCount() == 1 && lo.mod(size).signum() == 0) {
            int prefix = bits - (size.bitLength() - 1);
            return address(v6, lo) + (prefix == bits ? "" : "/" + prefix);
        }
        return address(v6, lo) + "-" + address(v6, hi);
    }

    private static String address(boolean v6, BigInteger n) {
        int len = v6 ? 16 : 4;
        byte[] raw = n.toByteArray();
        byte[] b = new byte[len];
        int copy = Math.min(raw.length, len);
        System.arraycopy(raw, raw.length - copy, b, len - copy, copy);
        try {
            return Addresses.format(InetAddress.getByAddress(b));
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The batch for {@code nft -f}: declares the table and both sets ({@code add} leaves existing ones alone),
     * empties the sets and fills them with {@code elements}; nft applies a batch as one transaction, so packets see
     * the old sets or the new ones, never empty ones.
     */
    static String batch(PostwardenConfig.Nftables cfg, List<Element> elements, long now) {
        String t = "inet " + cfg.table();
        StringBuilder sb = new StringBuilder("# written by postwarden: the active bans\n")
                .append("add table ").append(t).append('\n')
                .append("add set ").append(t).append(' ').append(cfg.set4())
                .append(" { type ipv4_addr; flags interval, timeout; }\n")
                .append("add set ").append(t).append(' ').append(cfg.set6())
                .append(" { type ipv6_addr; flags interval, timeout; }\n")
                .append("flush set ").append(t).append(' ').append(cfg.set4()).append('\n')
                .append("flush set ").append(t).append(' ').append(cfg.set6()).append('\n');
        for (boolean v6 : new boolean[] {false, true}) {
            List<Element> family = elements.stream().filter(e -> e.v6() == v6).toList();
            for (int i = 0; i < family.size(); i += CHUNK) {
                sb.append("add element ").append(t).append(' ').append(v6 ? cfg.set6() : cfg.set4()).append(" { ");
                List<Element> chunk = family.subList(i, Math.min(family.size(), i + CHUNK));
                for (int j = 0; j < chunk.size(); j++) {
                    sb.append(j == 0 ? "" : ", ").append(chunk.get(j).text(now));
                }
                sb.append(" }\n");
            }
        }
        return sb.toString();
    }
}
