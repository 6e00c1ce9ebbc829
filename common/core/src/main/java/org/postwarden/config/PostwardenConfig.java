package org.postwarden.config;

import java.time.Duration;
import java.util.List;

/**
 * The whole configuration, bound from YAML (kebab-case keys). Every key is documented, with its default and unit,
 * in {@code config/postwarden.yaml}, which is also the embedded default. Nested records mirror the YAML sections.
 */
public record PostwardenConfig(
        boolean dryRun,
        Policy policy,
        Milter milter,
        Http http,
        Store store,
        Networks networks,
        Allowlist allowlist,
        Checks checks,
        Limits limits,
        Scoring scoring,
        Helo helo,
        Dnsbl dnsbl,
        Admin admin,
        Ingest ingest,
        Bans bans,
        Outbound outbound,
        Greylist greylist,
        AuthPolicy authPolicy,
        CrowdSec crowdsec) {

    /**
     * Policy-delegation listener. A request must be complete within {@code requestDeadline} of its first byte; the
     * unfinished requests of all connections hold at most {@code maxBufferedBytes}; at most {@code maxQueuedReplies}
     * replies wait for one client (decisions running and replies it has not read).
     */
    public record Policy(boolean enabled, String listen, int maxLineLength, int maxAttributes, int maxRequestBytes,
            Duration idleTimeout, Duration timeBudget, String fallbackAction, int maxConnections,
            Duration requestDeadline, long maxBufferedBytes, int maxQueuedReplies) {
    }

    /**
     * Milter listener, and the limits only the milter can measure: concurrent sessions per client (it sees connect
     * and close) and identical content per authenticated user (it sees the message). {@code requestDeadline},
     * {@code maxBufferedBytes} and {@code maxQueuedReplies} bound a packet's arrival, the unfinished packets of all
     * connections and the replies waiting for one client, as for the policy listener.
     */
    public record Milter(boolean enabled, String listen, int maxPacketBytes, Duration idleTimeout,
            Duration timeBudget, String fallbackAction, String connectRefusal, int maxConnections,
            int maxConcurrentPerClient, MilterHeader header, Fingerprint fingerprint,
            List<Window> identicalMessages, Duration requestDeadline, long maxBufferedBytes,
            int maxQueuedReplies) {
    }

    /** Optional report header added at end of message. */
    public record MilterHeader(boolean enabled, String name) {
    }

    /** Content fingerprint: normalized Subject plus a hash of the first {@code bodyPrefixBytes} of the body. */
    public record Fingerprint(boolean enabled, int bodyPrefixBytes) {
    }

    /** HTTP listener for /healthz and /metrics. */
    public record Http(boolean enabled, String listen, int maxConnections, int maxConnectionsPerSource,
            Duration requestTimeout, Duration idleTimeout, Duration consoleSession) {
    }

    /** Reputation store sizing and persistence. */
    public record Store(long maxClients, long maxUsers, Duration idleExpiry, int ipv6WidePrefix, Snapshot snapshot,
            String onCorrupt) {
        /** {@code store.on-corrupt}: serve, but report not-ready until an admin acknowledges the corrupt snapshot. */
        public static final String WAIT_FOR_ADMIN = "wait-for-admin";
        /** {@code store.on-corrupt}: serve and report ready with what the journal held (the file is kept aside). */
        public static final String START_ANYWAY = "start-anyway";
    }

    /** State snapshots. An empty path disables persistence. */
    public record Snapshot(String path, Duration interval) {
    }

    /**
     * What is "ours" and what is trusted, which server ports are submission services (their clients are refused
     * before AUTH only for a ban of that very host), and how many accepted messages make a clean history: a host
     * with at least {@code cleanHistoryMessages} accepted messages and no own score at the tag threshold within
     * {@code store.idle-expiry} is judged by its own score and bans only, not by its network's, and is never
     * greylisted (0: no host has a clean history).
     */
    public record Networks(List<String> localDomains, List<String> ownNames, List<String> ownAddresses,
            List<String> trusted, List<Integer> submissionPorts, int cleanHistoryMessages,
            List<Ipv6Tier> ipv6Tiers) {
    }

    /**
     * One tier of IPv6 network aggregation ({@code networks.ipv6-tiers}, narrowest first): the prefix length, how
     * many distinct child prefixes (the /64s for the first tier, the previous tier's prefixes for the next) must have
     * contributed before its score moves its clients' verdicts ({@code minChildren}) and before it is banned
     * ({@code banMinChildren}, null: {@code minChildren}; 0: never banned), and the most one child adds to it
     * ({@code cap}, null: the host's ban threshold, as for an IPv4 /24).
     */
    public record Ipv6Tier(int prefix, int minChildren, Integer banMinChildren, Double cap) {
    }

    /**
     * Exemptions. {@code trustOk} networks are the only clients ever answered {@code OK}; one wider than a LAN, or
     * holding a container bridge's gateway, is refused unless {@code iKnowThisOpensARelay}
     * ({@code allowlist.i-know-this-opens-a-relay}).
     */
    public record Allowlist(List<String> clients, List<String> saslUsers, List<String> trustOk,
            boolean iKnowThisOpensARelay) {
    }

    /** Per-check switches. */
    public record Checks(Toggle rateLimit, Toggle relay, Toggle helo, Toggle score, Toggle ban, Toggle dnsbl,
            Toggle outbound, Toggle greylist) {
    }

    /** Enable a check and optionally run it in dry-run. */
    public record Toggle(boolean enabled, boolean dryRun) {
    }

    /** Rate limits per key level and per SASL user. */
    public record Limits(LevelLimits host, LevelLimits subnet, LevelLimits wide, UserLimits saslUser,
            List<DomainQuota> domains, List<UserQuota> users) {
    }

    /**
     * Outbound quotas of one mail domain (the part of {@code sasl_username} after its last {@code @}):
     * {@code mailbox} applies to each user of the domain that has no rule of its own (instead of
     * {@code limits.sasl-user}); {@code pool} is one budget shared by all of them (null or empty: none).
     */
    public record DomainQuota(String domain, UserLimits mailbox, UserLimits pool) {
    }

    /** One SASL user's own quotas: replace the domain's mailbox default and {@code limits.sasl-user}. */
    public record UserQuota(String user, List<Window> messages, List<Window> recipients) {
    }

    /** Windows for one client key level. */
    public record LevelLimits(List<Window> connections, List<Window> messages, List<Window> recipients) {
    }

    /** Outbound quotas per SASL user. */
    public record UserLimits(List<Window> messages, List<Window> recipients) {
    }

    /** At most {@code max} events in any sliding {@code window}. */
    public record Window(Duration window, long max) {
    }

    /**
     * Scores with exponential decay. A network's score (IPv4 /24, IPv6 wide prefix) is the sum of its hosts'
     * contributions, each capped, and counts only once {@code subnetMinHosts} distinct hosts (IPv6: /64s)
     * contributed.
     */
    public record Scoring(Duration halfLife, double subnetFactor, int subnetMinHosts, Weights weights,
            Thresholds thresholds, String tagHeader) {
    }

    /** Signal weights (score points). */
    public record Weights(double relayAttempt, double heloNotFqdn, double heloGeneric, double heloIpMismatch,
            double heloClaimsOurName, double limitExceeded, double pregreet, double protocolViolation,
            double hangup, double postscreenDnsbl, double authFailure, double authLost, double tlsFailure,
            double relayDenied, double heloRejected) {
    }

    /** Score thresholds; 0 disables that outcome. */
    public record Thresholds(double tag, double defer, double reject) {
    }

    /** HELO checks. */
    public record Helo(List<String> genericPatterns) {
    }

    /**
     * DNSBL, DNSWL and RHSBL scoring. Zone entries use postscreen's syntax {@code domain[=d.d.d.d][*weight]};
     * see {@code org.postwarden.dnsbl.zone.DnsblZoneParser}. {@code dqsKey} is a secret: never logged or echoed.
     * {@code maxInFlight} bounds the client-IP queries in flight; {@code maxInFlightHelo} and
     * {@code maxInFlightSender} are the RHSBL lookups' own budgets, so random HELO names or sender domains cannot
     * starve the client-IP lookups.
     */
    public record Dnsbl(boolean enabled, String resolver, Duration timeout, Duration queryTimeout, int maxInFlight,
            DnsblCache cache, List<String> zones, List<String> rhsblHelo, List<String> rhsblSender,
            List<String> errorCodes, String dqsKey, String dqsKeyFile, List<String> ownIps,
            Duration ownIpCheckInterval, DnsblProbe probe, int maxInFlightHelo, int maxInFlightSender) {

        @Override
        public String toString() {
            return "Dnsbl[enabled=" + enabled + ", resolver=" + resolver + ", zones=" + zones + ", rhsblHelo="
                    + rhsblHelo + ", rhsblSender=" + rhsblSender + ", dqsKey="
                    + (dqsKey == null || dqsKey.isEmpty() ? "none" : "(hidden)") + "]";
        }
    }

    /** DNSBL answer cache: size and TTL clamps (answers' own TTLs are respected within them). */
    public record DnsblCache(long size, Duration minTtl, Duration maxTtl, Duration failureTtl) {
    }

    /**
     * The zones' RFC 5782 probe ({@code dnsbl.probe}): every zone is asked about its test points at start-up and
     * every {@code interval}; one that lists what no list lists (or, with {@code requireTestListing}, does not list
     * its positive test point) is switched off until a probe passes. {@code exemptZones} are never probed.
     */
    public record DnsblProbe(boolean enabled, Duration interval, boolean requireTestListing,
            List<String> exemptZones) {
    }

    /**
     * Admin API ({@code /admin/...} on the HTTP listener) and {@code postwarden ctl}. {@code tokenFile} holds the
     * bearer token (created, random, mode 0600, when missing; "" disables the API); {@code allowRemote} lets
     * non-loopback clients use it (the token then travels in clear unless a TLS proxy fronts the listener).
     */
    public record Admin(String tokenFile, boolean allowRemote) {
    }

    /**
     * Log ingestion (module {@code ingest}): files followed (rotation and truncation safe, resumed from
     * {@code statePath}), Docker json-file logs, and a syslog receiver. Everything is off by default. What one log
     * line can add is capped, because anyone who can write to syslog chooses a line's program name and text (see
     * docs/security.md): its count (login attempts) counts at most {@code maxAttemptsPerLine}, and its points at most
     * {@code maxLineShare} × {@code bans.threshold}, so that no single line bans. {@code programNames} are syslog
     * names read besides Postfix's ({@code postfix/…}, {@code postfix-NAME/…}) and Dovecot's.
     */
    public record Ingest(List<String> files, List<String> dockerJson, Syslog syslog, Duration pollInterval,
            int maxLineLength, String statePath, Duration maxLineAge, Journal journal, int maxAttemptsPerLine,
            double maxLineShare, List<String> programNames) {
    }

    /**
     * The systemd journal as a log source: {@code command} (journalctl with {@code --follow --output=json}, the
     * units as {@code -u UNIT} and the cursor as {@code --after-cursor}) is run and its JSON entries are parsed;
     * only entries whose trusted fields ({@code _COMM}, {@code _SYSTEMD_UNIT}, {@code _UID}) name a Postfix or
     * Dovecot process count. The last cursor is kept in {@code cursorPath}.
     */
    public record Journal(boolean enabled, List<String> command, List<String> units, List<String> commands,
            List<Long> uids, String cursorPath, Duration restartDelay) {
    }

    /**
     * Syslog receiver (RFC 3164 and 5424; TCP with octet counting or newline framing). "" disables a transport. TCP
     * senders: at most {@code maxConnectionsPerSource} from one address, a message complete within
     * {@code requestDeadline} of its first byte, at most {@code maxBufferedBytes} of unfinished messages in total.
     * {@code allowedSources}: the networks senders may come from (others are dropped, TCP connections closed).
     */
    public record Syslog(boolean enabled, String udp, String tcp, int maxMessageBytes, int maxConnections,
            Duration idleTimeout, int maxConnectionsPerSource, Duration requestDeadline, long maxBufferedBytes,
            List<String> allowedSources) {
    }

    /**
     * Bans from log signals: threshold, escalation, lists, guards, research scanners and export. Ban durations are
     * written like other durations, or {@code permanent}. {@code ipv6WidenAfter} (null when not set) is the
     * deprecated {@code bans.ipv6-widen-after}, read as the {@code ban-min-children} of every IPv6 tier that sets
     * none (see {@link Ipv6Tier}).
     */
    public record Bans(double threshold, int subnetMinHosts, List<String> durations, List<String> permanent,
            List<String> ignoreNetworks, List<String> ignoreUsers, double userAlertThreshold,
            Duration userAlertInterval, Integer ipv6WidenAfter, int maxIpv6Prefix, PrivateMajority privateMajority,
            Scanners scanners, BanExport export) {
    }

    /** The Docker-gateway trap: a private-range address that carries most private-range traffic is never banned. */
    public record PrivateMajority(double share, Duration halfLife, List<String> ranges) {
    }

    /** Research scanners recognised by forward-confirmed reverse DNS: logged, never banned. */
    public record Scanners(boolean enabled, List<String> suffixes, String resolver, Duration timeout,
            Duration cacheTtl) {
    }

    /**
     * Where bans go besides the store: a Postfix {@code cidr:} table, the nftables sets ({@code nftables}) and the
     * older per-ban command ({@code nftablesCommand}).
     */
    public record BanExport(String cidrMap, String cidrResult, Duration minInterval, List<String> reloadCommand,
            Duration commandTimeout, List<String> nftablesCommand, Nftables nftables) {
    }

    /**
     * The nftables sets {@code inet TABLE SET4/SET6} kept equal to the active bans (elements with the ban's remaining
     * time as their timeout) by running {@code command} with {@code -f FILE}: one atomic batch per change, and again
     * every {@code resyncInterval}.
     */
    public record Nftables(boolean enabled, List<String> command, String table, String set4, String set6,
            Duration resyncInterval) {
    }

    /**
     * The outbound guard: per-sender profiles (SASL users, and unauthenticated clients in {@code networks.trusted}
     * per sender domain) with decaying baselines; an anomaly holds (or defers) the message and every further one of
     * that sender until an admin releases it. {@code action} is {@code hold} or {@code defer}.
     */
    public record Outbound(boolean enabled, String action, List<String> allowSenders, boolean trustedNetworks,
            String statePath, long maxProfiles, Duration profileExpiry, int knownRecipients, Baseline baseline,
            Dimensions floors, Dimensions ceilings, NewNetwork newNetwork, long identicalContentRecipients,
            Failures failures, Alerts alerts, Queue queue) {
    }

    /** Baselines: exponentially decaying averages of a sender's active hours. */
    public record Baseline(Duration halfLife, double factor) {
    }

    /** Hourly amounts per dimension (floors and ceilings of the thresholds). */
    public record Dimensions(long messages, long recipients, long domains, long newRecipients) {
    }

    /** A login from a network the sender never used lowers its thresholds by {@code factor} for {@code window}. */
    public record NewNetwork(double factor, Duration window) {
    }

    /** Share of a sender's deliveries rejected or deferred downstream, from the delivery log lines. */
    public record Failures(double maxShare, long minDeliveries) {
    }

    /** Where alerts go besides the log and the metric. */
    public record Alerts(Webhook webhook, AlertMail mail) {
    }

    /** JSON POST of each alert; {@code url} "" = off. Retries double {@code retryDelay} after each failure. */
    public record Webhook(String url, Duration timeout, int attempts, Duration retryDelay) {
    }

    /** A mail per alert, written to {@code command}'s standard input (e.g. sendmail -t -i); [] = off. */
    public record AlertMail(List<String> command, String to, String from) {
    }

    /**
     * The queue watcher ({@code watch}: poll {@code listCommand}, i.e. {@code postqueue -j}) and the commands that
     * hold, release and delete queued messages ({@code postsuperCommand}, used by the admin actions too).
     */
    public record Queue(boolean watch, Duration interval, List<String> listCommand, List<String> postsuperCommand,
            Duration commandTimeout, int maxMessages, long alertDepth, Duration alertOldestAge,
            double alertSenderShare, long alertSenderMinMessages, double alertGrowthPerMinute,
            Duration alertInterval, boolean holdSuspended) {
    }

    /**
     * Selective greylisting at RCPT: the triplet (client network /24 or /64, envelope sender, recipient) of a doubtful
     * client is deferred until it is retried after {@code delay} and within {@code retryWindow}; entries not seen for
     * {@code maxAge} are forgotten; a network with {@code autoAllowlistAfter} passed retries is no longer greylisted
     * (0: never). {@code action}: {@code defer-if-permit} (Postfix's DEFER_IF_PERMIT) or {@code defer} (450 at once).
     * Doubtful: host score plus DNS list weights at least {@code minScore} (0: off), a listing in a zone marked
     * {@code grey}, no verified reverse name ({@code noReverseName}), a generic-looking HELO ({@code genericHelo}).
     */
    public record Greylist(boolean enabled, String action, Duration delay, Duration retryWindow, Duration maxAge,
            int autoAllowlistAfter, long maxEntries, double minScore, boolean noReverseName, boolean genericHelo,
            GreylistPools pools) {
    }

    /**
     * Sender pools: addresses that count as one sender, so a retry from another address of the pool passes. A pool is
     * one of {@code networks} (CIDRs), the registered domain of forward-confirmed PTR names ({@code ptr}; registered
     * domains from {@code publicSuffixList}, "" = a built-in approximation), or the sender domain's SPF record
     * ({@code spf}). DNS goes to {@code resolver} ("" = the system's); a request waits at most {@code timeout} for
     * it, one query at most {@code queryTimeout}; answers are cached for {@code cacheTtl}.
     */
    public record GreylistPools(List<String> networks, boolean ptr, boolean spf, String resolver, Duration timeout,
            Duration queryTimeout, Duration cacheTtl, String publicSuffixList) {
    }

    /**
     * Dovecot's authentication policy server ({@code auth-policy:}): an HTTP listener on {@code listen} that judges
     * IMAP/POP3 logins before the password check and records their outcome. {@code apiHeader} and
     * {@code apiSecretFile} (both or neither): the header Dovecot sends ({@code auth_policy_server_api_header}) and
     * the file holding its value. A request must be complete within {@code requestTimeout} and at most
     * {@code maxRequestBytes} long; a connection idle for {@code idleTimeout} is closed; the unfinished requests of
     * all connections hold at most {@code maxBufferedBytes}. {@code proxies}: addresses
     * Dovecot may see as the client (webmail, a proxy without forwarding): never refused or delayed.
     */
    public record AuthPolicy(boolean enabled, String listen, String apiHeader, String apiSecretFile,
            int maxRequestBytes, int maxConnections, Duration idleTimeout, Duration requestTimeout,
            List<String> proxies, AuthTarpit tarpit, AuthRefuse refuse, Duration knownDevice,
            boolean stalePasswordAlert, AuthSpraying spraying, long maxBufferedBytes) {
    }

    /**
     * The delay of a login from an address with {@code afterFailures} or more distinct failed logins in
     * {@code window}: {@code initialDelay}, doubling with each further failure, at most {@code maxDelay}.
     */
    public record AuthTarpit(int afterFailures, Duration window, Duration initialDelay, Duration maxDelay) {
    }

    /** Refusal of an address with {@code distinctPasswords} distinct wrong passwords (per user) in {@code window}. */
    public record AuthRefuse(int distinctPasswords, Duration window) {
    }

    /**
     * Password spraying: {@code networkUsers} distinct failed users from one network (IPv4 /24, IPv6 wide prefix)
     * in {@code window}, with a crowd of {@code scoring.subnet-min-hosts} addresses, refuses the network;
     * {@code totalUsers} distinct failed users overall raises an alert (0: no overall alert).
     */
    public record AuthSpraying(int networkUsers, int totalUsers, Duration window) {
    }

    /**
     * CrowdSec's Local API at {@code lapiUrl}, both ways: {@code bouncer} reads its decision stream into bans,
     * {@code source} pushes Postwarden's own bans to it as alerts with decisions.
     */
    public record CrowdSec(String lapiUrl, Duration timeout, CrowdSecBouncer bouncer, CrowdSecSource source) {
    }

    /**
     * The bouncer: polls {@code /v1/decisions/stream} every {@code pollInterval} with the API key read from
     * {@code apiKeyFile}; decisions of {@code types} (and scope Ip or Range) become bans with reason "crowdsec".
     */
    public record CrowdSecBouncer(boolean enabled, String apiKeyFile, Duration pollInterval, List<String> types,
            int maxDecisions) {
    }

    /**
     * The source: every {@code interval}, Postwarden's new bans (not those that came from CrowdSec) are posted to
     * {@code /v1/alerts} as alerts with a ban decision, logged in with the machine credentials of
     * {@code credentialsFile} (as {@code cscli machines add NAME --auto -f FILE} writes it).
     */
    public record CrowdSecSource(boolean enabled, String credentialsFile, Duration interval, String scenarioPrefix) {
    }
}
