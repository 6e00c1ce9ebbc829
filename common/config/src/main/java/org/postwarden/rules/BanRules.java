package org.postwarden.rules;

import org.postwarden.config.BanDurations;
import org.postwarden.config.PostwardenConfig;
import org.postwarden.model.Cidr;

import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The {@code bans:} section compiled: escalation steps, the permanent list, the ignore lists (with
 * {@code allowlist.clients}, {@code networks.own-addresses} and {@code allowlist.sasl-users}), the private ranges
 * of the majority guard and the research-scanner suffixes. Immutable.
 */
public final class BanRules {
    private final PostwardenConfig.Bans config;
    private final List<Duration> durations;
    private final List<Cidr> permanent;
    private final List<Cidr> ignore;
    private final Set<String> ignoreUsers;
    private final List<Cidr> privateRanges;
    private final List<String> scannerSuffixes;

    BanRules(PostwardenConfig c) {
        this.config = c.bans();
        List<Duration> d = new ArrayList<>();
        for (String s : config.durations()) {
            d.add(BanDurations.parse(s));
        }
        this.durations = Collections.unmodifiableList(d);
        this.permanent = CidrLists.parse(config.permanent());
        List<Cidr> ig = new ArrayList<>();
        config.ignoreNetworks().forEach(s -> ig.add(Cidr.parse(s)));
        c.allowlist().clients().forEach(s -> ig.add(Cidr.parse(s)));
        ig.addAll(CidrLists.own(c));
        this.ignore = List.copyOf(ig);
        Set<String> users = new HashSet<>(config.ignoreUsers());
        users.addAll(c.allowlist().saslUsers());
        this.ignoreUsers = Set.copyOf(users);
        this.privateRanges = CidrLists.parse(config.privateMajority().ranges());
        this.scannerSuffixes = config.scanners().suffixes().stream().map(BanRules::suffix).toList();
    }

    private static String suffix(String s) {
        String t = s.toLowerCase(Locale.ROOT);
        t = t.endsWith(".") ? t.substring(0, t.length() - 1) : t;
        return t.startsWith(".") ? t : "." + t;
    }

    public PostwardenConfig.Bans config() {
        return config;
    }

    /** Score at which a host (IPv4 /32, IPv6 /64) is banned; 0 = never. */
    public double threshold() {
        return config.threshold();
    }

    /**
     * The length of a ban for a key that has been banned {@code earlier} times before (within the store's offense
     * memory): the matching step of {@code bans.durations}, the last one for every later offense. {@code null}
     * means permanent.
     */
    public Duration duration(int earlier) {
        return durations.get(Math.min(Math.max(earlier, 0), durations.size() - 1));
    }

    /** The {@code bans.permanent} network containing {@code a}, or null. */
    public Cidr permanentNetwork(InetAddress a) {
        if (a == null) {
            return null;
        }
        for (Cidr c : permanent) {
            if (c.contains(a)) {
                return c;
            }
        }
        return null;
    }

    /** The {@code bans.permanent} networks. */
    public List<Cidr> permanent() {
        return permanent;
    }

    /** Never scored or banned from logs: {@code bans.ignore-networks}, allowlisted clients, our own addresses. */
    public boolean ignored(InetAddress a) {
        return CidrLists.contains(ignore, a);
    }

    /** Never alerted on: {@code bans.ignore-users} and {@code allowlist.sasl-users}. */
    public boolean ignoredUser(String user) {
        return ignoreUsers.contains(user);
    }

    /** Whether {@code a} lies in one of {@code bans.private-majority.ranges}. */
    public boolean privateRange(InetAddress a) {
        return CidrLists.contains(privateRanges, a);
    }

    /**
     * The matching {@code bans.scanners.suffixes} entry when {@code hostName} (a PTR target, with or without the
     * trailing dot) is a research scanner's name, else null.
     */
    public String scannerSuffix(String hostName) {
        String h = hostName.toLowerCase(Locale.ROOT);
        h = h.endsWith(".") ? h.substring(0, h.length() - 1) : h;
        for (String s : scannerSuffixes) {
            if (h.endsWith(s) || h.equals(s.substring(1))) {
                return s.substring(1);
            }
        }
        return null;
    }
}
