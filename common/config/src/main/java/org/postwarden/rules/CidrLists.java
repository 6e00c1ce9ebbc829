package org.postwarden.rules;

import org.postwarden.model.Cidr;

import java.net.InetAddress;
import java.util.List;

/** Lists of networks, for {@link Rules} and {@link BanRules}: parsed once, searched linearly (they are short). */
final class CidrLists {
    private CidrLists() {
    }

    /** Parses validated CIDR strings. */
    static List<Cidr> parse(List<String> s) {
        return s.stream().map(Cidr::parse).toList();
    }

    /**
     * Our own networks: {@code networks.own-addresses} and the addresses of {@code dnsbl.own-ips}, its deprecated
     * alias (validated already).
     */
    static List<Cidr> own(org.postwarden.config.PostwardenConfig c) {
        List<Cidr> out = new java.util.ArrayList<>(parse(c.networks().ownAddresses()));
        for (String ip : c.dnsbl().ownIps()) {
            Cidr one = Cidr.parse(ip);
            if (!out.contains(one)) {
                out.add(one);
            }
        }
        return List.copyOf(out);
    }

    /** Whether one of {@code nets} contains {@code a}. */
    static boolean contains(List<Cidr> nets, InetAddress a) {
        for (Cidr c : nets) {
            if (c.contains(a)) {
                return true;
            }
        }
        return false;
    }
}
