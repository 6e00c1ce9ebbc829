package org.postwarden.rules;

import org.postwarden.config.HostPort;
import org.postwarden.config.PostwardenConfig;
import org.postwarden.dnsbl.zone.CodeFilter;
import org.postwarden.dnsbl.zone.DnsblSettings;
import org.postwarden.dnsbl.zone.DnsblZone;
import org.postwarden.dnsbl.zone.DnsblZoneParser;
import org.postwarden.dnsbl.zone.ZoneKind;
import org.postwarden.model.Cidr;
import org.postwarden.model.KeyLevel;
import org.postwarden.model.MailEvent;
import org.postwarden.model.Signal;
import org.postwarden.reputation.CounterLayout;
import org.postwarden.reputation.CounterType;
import org.postwarden.reputation.StoreSettings;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/** The configuration compiled for fast evaluation: parsed networks, patterns, counter layouts and weights. */
public final class Rules {
    private final PostwardenConfig config;
    private final List<Cidr> trustOk;
    private final List<Cidr> allowClients;
    private final Set<String> allowUsers;
    private final List<Cidr> trusted;
    private final List<Cidr> ownAddresses;
    private final Set<String> ownNames;
    private final Set<String> localDomains;
    private final List<Pattern> genericHelo;
    private final Map<KeyLevel, CounterLayout> layouts = new EnumMap<>(KeyLevel.class);
    private final CounterLayout userLayout;
    private final UserQuotas quotas;
    private final CounterLayout contentLayout;
    private final Map<Signal, Double> weights = new EnumMap<>(Signal.class);
    private final DnsblSettings dnsbl;
    private final BanRules bans;
    private final GreylistRules greylist;
    private final int[] submissionPorts;
    private final double contributionCap;
    private final List<Cidr> authProxies;
    private final List<NetworkTier> v4Networks;
    private final List<NetworkTier> v6Networks;

    public Rules(PostwardenConfig c) {
        this.config = c;
        this.trustOk = CidrLists.parse(c.allowlist().trustOk());
        this.allowClients = CidrLists.parse(c.allowlist().clients());
        this.allowUsers = Set.copyOf(c.allowlist().saslUsers());
        this.trusted = CidrLists.parse(c.networks().trusted());
        this.ownAddresses = CidrLists.own(c);
        this.ownNames = lower(c.networks().ownNames());
        this.localDomains = lower(c.networks().localDomains());
        this.genericHelo = c.helo().genericPatterns().stream()
                .map(p -> Pattern.compile(p, Pattern.CASE_INSENSITIVE)).toList();
        layouts.put(KeyLevel.HOST, layout(c.limits().host()));
        layouts.put(KeyLevel.SUBNET, layout(c.limits().subnet()));
        layouts.put(KeyLevel.WIDE, layout(c.limits().wide()));
        this.quotas = new UserQuotas(c.limits());
        this.userLayout = quotas.layout();
        List<CounterLayout.Slot> content = new ArrayList<>();
        slots(content, CounterType.MESSAGES, c.milter().identicalMessages());
        this.contentLayout = new CounterLayout(content);
        PostwardenConfig.Weights w = c.scoring().weights();
        weights.put(Signal.RELAY_ATTEMPT, w.relayAttempt());
        weights.put(Signal.HELO_NOT_FQDN, w.heloNotFqdn());
        weights.put(Signal.HELO_GENERIC, w.heloGeneric());
        weights.put(Signal.HELO_IP_MISMATCH, w.heloIpMismatch());
        weights.put(Signal.HELO_CLAIMS_OUR_NAME, w.heloClaimsOurName());
        weights.put(Signal.LIMIT_EXCEEDED, w.limitExceeded());
        weights.put(Signal.PREGREET, w.pregreet());
        weights.put(Signal.PROTOCOL_VIOLATION, w.protocolViolation());
        weights.put(Signal.HANGUP, w.hangup());
        weights.put(Signal.POSTSCREEN_DNSBL, w.postscreenDnsbl());
        weights.put(Signal.AUTH_FAILURE, w.authFailure());
        weights.put(Signal.AUTH_LOST, w.authLost());
        weights.put(Signal.TLS_FAILURE, w.tlsFailure());
        weights.put(Signal.RELAY_DENIED, w.relayDenied());
        weights.put(Signal.HELO_REJECTED, w.heloRejected());
        this.bans = new BanRules(c);
        this.submissionPorts = c.networks().submissionPorts().stream().mapToInt(Integer::intValue).toArray();
        this.contributionCap = contributionCap(c);
        this.authProxies = CidrLists.parse(c.authPolicy().proxies());
        this.v4Networks = List.of(new NetworkTier(24, c.scoring().subnetMinHosts(), c.bans().subnetMinHosts(),
                contributionCap, true, "scoring.subnet-min-hosts", "bans.subnet-min-hosts", "hosts"));
        this.v6Networks = ipv6Tiers(c, contributionCap);
        this.dnsbl = c.dnsbl().enabled() ? dnsblSettings(c.dnsbl(), monitoredOwnAddresses(ownAddresses)) : null;
        this.greylist = c.greylist().enabled() ? GreylistRules.of(c.greylist()) : null;
    }

    /** Own networks of at most this many addresses are checked in the DNSBL zones address by address. */
    public static final int MONITORED_NETWORK_SIZE = 16;
    /** At most this many own addresses are checked in the DNSBL zones. */
    public static final int MONITORED_ADDRESSES = 256;

    /**
     * The own addresses checked in the DNSBL zones: each single address of {@code own}, and each address of a
     * network of at most {@link #MONITORED_NETWORK_SIZE} addresses (IPv4 /28, IPv6 /124 and narrower), in order, at
     * most {@link #MONITORED_ADDRESSES}. Wider networks are not checked ({@link #unmonitoredOwnNetworks()}).
     */
    static List<InetAddress> monitoredOwnAddresses(List<Cidr> own) {
        java.util.LinkedHashSet<InetAddress> out = new java.util.LinkedHashSet<>();
        for (Cidr c : own) {
            int hostBits = c.network().getAddress().length * 8 - c.prefix();
            if (hostBits > 4) {
                continue;
            }
            byte[] base = c.network().getAddress();
            for (int i = 0; i < (1 << hostBits) && out.size() < MONITORED_ADDRESSES; i++) {
                byte[] b = base.clone();
                b[b.length - 1] = (byte) ((b[b.length - 1] & 0xFF) | i);
                try {
                    out.add(InetAddress.getByAddress(b));
                } catch (java.net.UnknownHostException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        return List.copyOf(out);
    }

    /**
     * Own networks not checked in the DNSBL zones: wider than {@link #MONITORED_NETWORK_SIZE} addresses, or past
     * {@link #MONITORED_ADDRESSES} in all (for a log line at start).
     */
    public List<Cidr> unmonitoredOwnNetworks() {
        List<Cidr> out = new ArrayList<>();
        List<InetAddress> checked = dnsbl == null ? monitoredOwnAddresses(ownAddresses) : dnsbl.ownIps();
        for (Cidr c : ownAddresses) {
            if (checked.stream().noneMatch(c::contains)) {
                out.add(c);
            }
        }
        return out;
    }

    /**
     * Compiles the {@code dnsbl:} section (zones parsed, resolver address, DQS key read from its file), with
     * {@code dnsbl.own-ips} as the own addresses to check.
     *
     * @throws IllegalArgumentException when it is invalid (the loader has validated it already)
     */
    public static DnsblSettings dnsblSettings(PostwardenConfig.Dnsbl d) {
        return dnsblSettings(d, d.ownIps().stream().map(Cidr::parseAddress).toList());
    }

    /** {@link #dnsblSettings(PostwardenConfig.Dnsbl)} with {@code own} as the own addresses to check. */
    public static DnsblSettings dnsblSettings(PostwardenConfig.Dnsbl d, List<InetAddress> own) {
        List<DnsblZone> zones = new ArrayList<>();
        d.zones().forEach(z -> zones.add(DnsblZoneParser.parse(z, ZoneKind.CLIENT_IP)));
        d.rhsblHelo().forEach(z -> zones.add(DnsblZoneParser.parse(z, ZoneKind.RHSBL_HELO)));
        d.rhsblSender().forEach(z -> zones.add(DnsblZoneParser.parse(z, ZoneKind.RHSBL_SENDER)));
        String key = d.dqsKey().isBlank() && !d.dqsKeyFile().isBlank()
                ? DnsblSettings.readKeyFile(java.nio.file.Path.of(d.dqsKeyFile())) : d.dqsKey().trim();
        return new DnsblSettings(d.resolver().isBlank() ? null : HostPort.parse(d.resolver()).socketAddress(),
                d.timeout(), d.queryTimeout(), d.maxInFlight(), d.cache().size(), d.cache().minTtl(),
                d.cache().maxTtl(), d.cache().failureTtl(), zones,
                d.errorCodes().stream().map(CodeFilter::parse).toList(), key, own, d.ownIpCheckInterval(),
                d.probe().enabled() ? d.probe().interval() : java.time.Duration.ZERO,
                d.probe().requireTestListing(), d.probe().exemptZones().stream()
                        .map(z -> z.trim().toLowerCase(Locale.ROOT).replaceFirst("\\.$", "")).toList(),
                d.maxInFlightHelo(), d.maxInFlightSender());
    }

    /**
     * The tiers of {@code networks.ipv6-tiers}, with the deprecated {@code bans.ipv6-widen-after} as the
     * {@code ban-min-children} of every tier that sets none (a warning says so at each load).
     */
    private static List<NetworkTier> ipv6Tiers(PostwardenConfig c, double cap) {
        Integer widen = c.bans().ipv6WidenAfter();
        if (widen != null) {
            LoggerFactory.getLogger(Rules.class).warn("bans.ipv6-widen-after is deprecated and will be removed: "
                    + "networks.ipv6-tiers replaces it (each tier counts the distinct child prefixes that "
                    + "contributed to its score, not banned /64s); its value {} is read as ban-min-children of every "
                    + "tier that sets none. Set ban-min-children in networks.ipv6-tiers and remove "
                    + "bans.ipv6-widen-after.", widen);
        }
        List<NetworkTier> out = new ArrayList<>();
        int child = 64;
        List<PostwardenConfig.Ipv6Tier> tiers = c.networks().ipv6Tiers();
        for (int i = 0; i < tiers.size(); i++) {
            PostwardenConfig.Ipv6Tier t = tiers.get(i);
            String key = "networks.ipv6-tiers[" + i + "]";
            int ban = t.banMinChildren() != null ? t.banMinChildren() : widen != null ? widen : t.minChildren();
            out.add(new NetworkTier(t.prefix(), t.minChildren(), ban, t.cap() != null ? t.cap() : cap,
                    t.prefix() >= c.bans().maxIpv6Prefix(), key + ".min-children",
                    t.banMinChildren() == null && widen != null ? "bans.ipv6-widen-after" : key + ".ban-min-children",
                    "/" + child + "s"));
            child = t.prefix();
        }
        return List.copyOf(out);
    }

    /**
     * The most one host adds to its network's score (the default cap of a tier): the host's own ban threshold, or with bans off
     * the reject threshold (if 0 the defer, then the tag threshold: beyond it the host is refused by its own score
     * anyway); unlimited when scores decide nothing.
     */
    private static double contributionCap(PostwardenConfig c) {
        PostwardenConfig.Thresholds t = c.scoring().thresholds();
        for (double v : new double[] {c.bans().threshold(), t.reject(), t.defer(), t.tag()}) {
            if (v > 0) {
                return v;
            }
        }
        return Double.POSITIVE_INFINITY;
    }

    /** The compiled {@code bans:} section (thresholds, escalation, lists, guards). */
    public BanRules bans() {
        return bans;
    }

    /** The compiled {@code greylist:} section, or null when {@code greylist.enabled} is false. */
    public GreylistRules greylist() {
        return greylist;
    }

    /** The compiled {@code dnsbl:} section, or null when {@code dnsbl.enabled} is false. */
    public DnsblSettings dnsbl() {
        return dnsbl;
    }

    private static Set<String> lower(List<String> s) {
        return s.stream().map(x -> x.toLowerCase(Locale.ROOT)).collect(Collectors.toUnmodifiableSet());
    }

    private static CounterLayout layout(PostwardenConfig.LevelLimits l) {
        List<CounterLayout.Slot> slots = new ArrayList<>();
        slots(slots, CounterType.CONNECTIONS, l.connections());
        slots(slots, CounterType.MESSAGES, l.messages());
        slots(slots, CounterType.RECIPIENTS, l.recipients());
        return new CounterLayout(slots);
    }

    private static void slots(List<CounterLayout.Slot> out, CounterType type, List<PostwardenConfig.Window> ws) {
        for (PostwardenConfig.Window w : ws) {
            out.add(new CounterLayout.Slot(type, w.window().toSeconds(), w.max()));
        }
    }

    /** Store settings derived from this configuration. */
    public StoreSettings storeSettings() {
        return new StoreSettings(config.store().maxClients(), config.store().maxUsers(),
                config.store().idleExpiry(), config.scoring().halfLife(), layouts, userLayout, contentLayout);
    }

    public PostwardenConfig config() {
        return config;
    }

    public boolean trustOk(InetAddress a) {
        return CidrLists.contains(trustOk, a);
    }

    /** Allowlisted or one of our own addresses: never counted, limited or scored. */
    public boolean exempt(InetAddress a) {
        return CidrLists.contains(allowClients, a) || CidrLists.contains(ownAddresses, a);
    }

    public boolean allowlistedUser(String user) {
        return allowUsers.contains(user);
    }

    /** Whether {@code a} is in {@code auth-policy.proxies} (webmail or a proxy Dovecot sees as the client). */
    public boolean authProxy(InetAddress a) {
        return CidrLists.contains(authProxies, a);
    }

    public boolean trusted(InetAddress a) {
        return CidrLists.contains(trusted, a);
    }

    /**
     * Whether {@code e} arrived on a submission service: its server port is one of {@code networks.submission-ports},
     * or its milter daemon name is {@code ORIGINATING} (Postfix's master.cf example for submission and smtps).
     */
    public boolean submission(MailEvent e) {
        int port = e.serverPort();
        if (port > 0) {
            for (int p : submissionPorts) {
                if (p == port) {
                    return true;
                }
            }
        }
        return "ORIGINATING".equalsIgnoreCase(e.daemonName());
    }

    /** {@code networks.clean-history-messages}: accepted messages that make a clean history (0: off). */
    public int cleanHistoryMessages() {
        return config.networks().cleanHistoryMessages();
    }

    /** {@code scoring.subnet-min-hosts}: distinct contributors a network's score needs before it counts. */
    public int subnetMinHosts() {
        return config.scoring().subnetMinHosts();
    }

    /**
     * The networks a client is judged by besides its own levels, narrowest first: for IPv4 the /24; for IPv6 the
     * tiers of {@code networks.ipv6-tiers} (may be none).
     */
    public List<NetworkTier> networkTiers(boolean v6) {
        return v6 ? v6Networks : v4Networks;
    }

    /** The prefix lengths of the IPv6 tiers, narrowest first (bans may be stored at them, see BanKeys). */
    public int[] tierPrefixes() {
        return v6Networks.stream().mapToInt(NetworkTier::prefix).toArray();
    }

    /** The most one IPv4 host adds to its /24's score (see the config's scoring.subnet-min-hosts). */
    public double contributionCap() {
        return contributionCap;
    }

    /**
     * The first network of {@code networks.trusted}, {@code networks.own-addresses} or {@code allowlist.clients} that
     * overlaps {@code network}, or null: a ban of {@code network} would reach one of our own or allowlisted hosts.
     */
    public Cidr protectedIn(Cidr network) {
        for (List<Cidr> list : List.of(trusted, ownAddresses, allowClients)) {
            for (Cidr c : list) {
                if (c.overlaps(network)) {
                    return c;
                }
            }
        }
        return null;
    }

    public boolean ownAddress(InetAddress a) {
        return CidrLists.contains(ownAddresses, a);
    }

    public boolean ownName(String name) {
        return ownNames.contains(name.toLowerCase(Locale.ROOT));
    }

    public boolean localDomain(String domain) {
        return localDomains.contains(domain);
    }

    public List<Pattern> genericHelo() {
        return genericHelo;
    }

    public CounterLayout layout(KeyLevel level) {
        return layouts.get(level);
    }

    public CounterLayout userLayout() {
        return userLayout;
    }

    /** The layered outbound quotas of SASL users ({@code limits.sasl-user}, {@code domains}, {@code users}). */
    public UserQuotas quotas() {
        return quotas;
    }

    /** Windows of {@code milter.identical-messages}: messages per authenticated user and content fingerprint. */
    public CounterLayout contentLayout() {
        return contentLayout;
    }

    public double weight(Signal s) {
        return weights.getOrDefault(s, 0.0);
    }

    /**
     * At most this many open SMTP sessions per client host (0: no limit). Set under {@code milter.} because only a
     * listener that sees both ends of a session (the milter) keeps the count; the engine applies it.
     */
    public int maxConcurrentPerClient() {
        return config.milter().maxConcurrentPerClient();
    }

    public int widePrefix() {
        return config.store().ipv6WidePrefix();
    }

    public boolean enabled(String check) {
        return toggle(check).enabled();
    }

    public boolean dryRun(String check) {
        return config.dryRun() || toggle(check).dryRun();
    }

    private PostwardenConfig.Toggle toggle(String check) {
        PostwardenConfig.Checks k = config.checks();
        return switch (check) {
            case "rate-limit" -> k.rateLimit();
            case "relay" -> k.relay();
            case "helo" -> k.helo();
            case "score" -> k.score();
            case "ban" -> k.ban();
            case "dnsbl" -> k.dnsbl();
            case "outbound" -> k.outbound();
            case "greylist" -> k.greylist();
            default -> new PostwardenConfig.Toggle(true, config.dryRun());
        };
    }
}
