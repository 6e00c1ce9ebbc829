package org.postwarden.config.load;

import org.postwarden.config.BanDurations;
import org.postwarden.config.PostwardenConfig;

import java.time.Duration;

/**
 * The {@code bans:} section: threshold and escalation, the permanent and ignore lists, the deprecated IPv6 widening, the
 * private-majority guard, the research-scanner lookups and the export to Postfix and nftables.
 */
final class BansValidator {
    private BansValidator() {
    }

    static void validate(PostwardenConfig.Bans b, Problems p) {
        p.nonNegative("bans.threshold", b.threshold());
        p.wholeNumber("bans.subnet-min-hosts", b.subnetMinHosts(), 1, 256);
        if (p.present("bans.durations", b.durations())) {
            p.require("bans.durations", b.durations(), !b.durations().isEmpty() && b.durations().size() <= 16,
                    "1 to 16 ban lengths, e.g. [1h, 1d, 1w, permanent]");
            p.each("bans.durations", b.durations(), Problems.parsing(BanDurations::parse,
                    e -> BanDurations.EXPECTED));
        }
        p.cidrs("bans.permanent", b.permanent());
        p.cidrs("bans.ignore-networks", b.ignoreNetworks());
        p.strings("bans.ignore-users", b.ignoreUsers());
        p.nonNegative("bans.user-alert-threshold", b.userAlertThreshold());
        p.positive("bans.user-alert-interval", b.userAlertInterval());
        if (b.ipv6WidenAfter() != null) {
            p.wholeNumber("bans.ipv6-widen-after", b.ipv6WidenAfter(), 0, 1000);
        }
        p.wholeNumber("bans.max-ipv6-prefix", b.maxIpv6Prefix(), 16, 64);
        p.ifPresent("bans.private-majority", b.privateMajority(), m -> {
            p.require("bans.private-majority.share", m.share(), m.share() >= 0 && m.share() <= 1,
                    "a share from 0 (guard off) to 1, e.g. 0.5");
            p.positive("bans.private-majority.half-life", m.halfLife());
            p.cidrs("bans.private-majority.ranges", m.ranges());
        });
        p.ifPresent("bans.scanners", b.scanners(), s -> {
            p.each("bans.scanners.suffixes", s.suffixes(), x -> dnsSuffix(x) ? null
                    : "a DNS name suffix like shodan.io");
            p.optionalHostPort("bans.scanners.resolver", s.resolver());
            p.duration("bans.scanners.timeout", s.timeout(), Duration.ofMillis(10), Duration.ofSeconds(30));
            p.duration("bans.scanners.cache-ttl", s.cacheTtl(), Duration.ofMinutes(1), Duration.ofDays(30));
        });
        p.ifPresent("bans.export", b.export(), x -> export(x, p));
    }

    private static void export(PostwardenConfig.BanExport x, Problems p) {
        p.filePath("bans.export.cidr-map", x.cidrMap(), "a file path, or \"\" for no cidr map");
        if (p.present("bans.export.cidr-result", x.cidrResult())) {
            String r = x.cidrResult().trim();
            String first = r.split("[ \t]+", 2)[0];
            boolean ok = first.equalsIgnoreCase("REJECT") && r.indexOf('\n') < 0 && r.indexOf('\r') < 0
                    && r.length() <= 200;
            p.require("bans.export.cidr-result", x.cidrResult(), ok, "REJECT, optionally followed by a text on the "
                    + "same line (postscreen_access_list only understands its first word)");
        }
        p.duration("bans.export.min-interval", x.minInterval(), Duration.ZERO, Duration.ofHours(1));
        p.duration("bans.export.command-timeout", x.commandTimeout(), Duration.ofSeconds(1), Duration.ofMinutes(10));
        p.strings("bans.export.reload-command", x.reloadCommand());
        p.strings("bans.export.nftables-command", x.nftablesCommand());
        if (x.nftablesCommand() != null && !x.nftablesCommand().isEmpty()
                && x.nftablesCommand().stream().noneMatch(a -> a != null && a.contains("${element}"))) {
            p.fail("bans.export.nftables-command", x.nftablesCommand(), "an argument containing ${element} "
                    + "(the banned network and its timeout)");
        }
        p.ifPresent("bans.export.nftables", x.nftables(), n -> nftables(n, p));
    }

    private static void nftables(PostwardenConfig.Nftables n, Problems p) {
        p.strings("bans.export.nftables.command", n.command());
        if (n.enabled() && n.command() != null) {
            p.require("bans.export.nftables.command", n.command(), !n.command().isEmpty()
                    && n.command().stream().allMatch(a -> a != null && !a.isBlank()),
                    "the nft program and its leading arguments, e.g. [/usr/sbin/nft] (Postwarden adds -f FILE)");
        }
        for (String[] name : new String[][] {{"table", n.table()}, {"set4", n.set4()}, {"set6", n.set6()}}) {
            if (p.present("bans.export.nftables." + name[0], name[1])) {
                p.require("bans.export.nftables." + name[0], name[1], name[1].matches("[A-Za-z][A-Za-z0-9_]{0,31}"),
                        "an nftables name: a letter, then up to 31 letters, digits or underscores");
            }
        }
        if (n.set4() != null && n.set4().equals(n.set6())) {
            p.fail("bans.export.nftables.set6", n.set6(), "a name other than set4's (one set per address family)");
        }
        p.duration("bans.export.nftables.resync-interval", n.resyncInterval(), Duration.ofSeconds(10),
                Duration.ofDays(1));
    }

    /** A DNS name suffix: labels of 1 to 63 letters, digits and inner hyphens, optional leading/trailing dot. */
    private static boolean dnsSuffix(String s) {
        if (s == null || s.isEmpty() || s.length() > 253) {
            return false;
        }
        String t = s.startsWith(".") ? s.substring(1) : s;
        t = t.endsWith(".") ? t.substring(0, t.length() - 1) : t;
        if (t.isEmpty()) {
            return false;
        }
        for (String label : t.split("\\.", -1)) {
            if (label.isEmpty() || label.length() > 63 || label.startsWith("-") || label.endsWith("-")) {
                return false;
            }
            for (int i = 0; i < label.length(); i++) {
                char ch = label.charAt(i);
                if (!(ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '-')) {
                    return false;
                }
            }
        }
        return true;
    }
}
