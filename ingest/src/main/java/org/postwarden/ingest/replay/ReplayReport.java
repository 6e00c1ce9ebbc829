package org.postwarden.ingest.replay;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import org.postwarden.api.BanListener;
import org.postwarden.config.BanDurations;
import org.postwarden.config.PostwardenConfig;
import org.postwarden.ingest.parse.LogCategory;
import org.postwarden.ingest.parse.LogEvent;
import org.postwarden.model.Addresses;
import org.postwarden.model.ClientKey;
import org.postwarden.model.KeyLevel;
import org.postwarden.reputation.Ban;

import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * What a replay found: per category (PREGREET, SASL, TLS, relay, HELO, protocol, DNSBL) the events, and the top
 * addresses, networks (IPv4 /24, IPv6 /64) and users with counts and first/last seen; the bans the configuration
 * would have issued, the bans it refused to issue and the user alerts; and totals (lines, rates). Rendered as text
 * for people or JSON for scripts.
 *
 * <p>Filled by one thread (the replay); the {@link BanListener} methods are synchronised because a ban may be
 * reported from within recording. Bounded: at most {@value #MAX_KEYS} distinct keys per table; further keys are
 * counted as "other".
 */
public final class ReplayReport implements BanListener {
    static final int MAX_KEYS = 2_000_000;
    private static final DateTimeFormatter WHEN = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss", Locale.ROOT);

    private final int widePrefix;
    private final List<Pattern> genericHelo;
    private final ZoneId zone;
    private final Map<LogCategory, Table> tables = new EnumMap<>(LogCategory.class);
    private final List<BanEntry> bans = new ArrayList<>();
    private final List<Map<String, Object>> refusals = new ArrayList<>();
    private final List<Map<String, Object>> alerts = new ArrayList<>();
    final List<String> files = new ArrayList<>();
    long bytes;
    long lines;
    long events;
    long ignored;
    long tooLong;
    long malformed;
    long firstMillis = Long.MAX_VALUE;
    long lastMillis = Long.MIN_VALUE;
    long elapsedNanos;

    /** A ban the configuration would have issued. */
    record BanEntry(Ban ban, boolean dryRun) {
    }

    /** Count and first/last seen of one key. */
    static final class Stat {
        long count;
        long first = Long.MAX_VALUE;
        long last = Long.MIN_VALUE;

        void add(long n, long at) {
            count += n;
            if (at >= 0) {
                first = Math.min(first, at);
                last = Math.max(last, at);
            }
        }
    }

    /** One category's tables. */
    static final class Table {
        long events;
        final Map<InetAddress, Stat> addresses = new HashMap<>();
        final Map<ClientKey, Stat> networks = new HashMap<>();
        final Map<String, Stat> users = new HashMap<>();
        final Stat other = new Stat();
    }

    ReplayReport(PostwardenConfig config, ZoneId zone) {
        this.widePrefix = config.store().ipv6WidePrefix();
        this.genericHelo = config.helo().genericPatterns().stream()
                .map(p -> Pattern.compile(p, Pattern.CASE_INSENSITIVE)).toList();
        this.zone = zone;
    }

    /** Adds one event (with its effective time). */
    void event(LogEvent e, long at) {
        events++;
        if (at >= 0) {
            firstMillis = Math.min(firstMillis, at);
            lastMillis = Math.max(lastMillis, at);
        }
        if (e.signal() != null) {
            add(e.category(), e, at);
        }
        if (e.category() != LogCategory.HELO && !e.helo().isEmpty() && badHelo(e.helo())) {
            add(LogCategory.HELO, e, at);
        }
    }

    private void add(LogCategory c, LogEvent e, long at) {
        Table t = tables.computeIfAbsent(c, k -> new Table());
        long n = e.count();
        t.events += n;
        if (e.client() != null) {
            stat(t.addresses, e.client(), t).add(n, at);
            stat(t.networks, ClientKey.of(e.client(), KeyLevel.SUBNET, widePrefix), t).add(n, at);
        }
        if (!e.user().isEmpty()) {
            stat(t.users, e.user(), t).add(n, at);
        }
    }

    private static <K> Stat stat(Map<K, Stat> m, K key, Table t) {
        Stat s = m.get(key);
        if (s == null) {
            if (m.size() >= MAX_KEYS) {
                return t.other;
            }
            s = new Stat();
            m.put(key, s);
        }
        return s;
    }

    /** A HELO name that is not a fully-qualified domain name or matches {@code helo.generic-patterns}. */
    boolean badHelo(String helo) {
        if (helo.startsWith("[")) {
            return false;
        }
        for (Pattern p : genericHelo) {
            if (p.matcher(helo).matches()) {
                return true;
            }
        }
        return helo.indexOf('.') < 0;
    }

    @Override
    public synchronized void banned(Ban ban, boolean dryRun) {
        bans.add(new BanEntry(ban, dryRun));
    }

    @Override
    public synchronized void refused(ClientKey key, String reason, String detail) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("network", key.cidr());
        m.put("reason", reason);
        m.put("detail", detail);
        refusals.add(m);
    }

    @Override
    public synchronized void userAlert(String user, double score, int sources) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("user", user);
        m.put("score", Math.round(score * 10) / 10.0);
        m.put("addresses", sources);
        alerts.add(m);
    }

    /** Bans collected (for tests). */
    public synchronized List<Ban> bans() {
        return bans.stream().map(BanEntry::ban).toList();
    }

    /** Events of {@code c} (weighted by count), for tests. */
    public long events(LogCategory c) {
        Table t = tables.get(c);
        return t == null ? 0 : t.events;
    }

    /** Events counted for {@code address} in {@code c}, for tests. */
    public long count(LogCategory c, InetAddress address) {
        Table t = tables.get(c);
        Stat s = t == null ? null : t.addresses.get(address);
        return s == null ? 0 : s.count;
    }

    /** Events counted for {@code user} in {@code c}, for tests. */
    public long userCount(LogCategory c, String user) {
        Table t = tables.get(c);
        Stat s = t == null ? null : t.users.get(user);
        return s == null ? 0 : s.count;
    }

    public long lines() {
        return lines;
    }

    /** Lines per second of the whole replay. */
    public double linesPerSecond() {
        return elapsedNanos <= 0 ? 0 : lines * 1e9 / elapsedNanos;
    }

    /** User alerts raised (for tests). */
    public synchronized List<Map<String, Object>> alerts() {
        return List.copyOf(alerts);
    }

    // ---- rendering ------------------------------------------------------------------------------------------

    private String when(long millis) {
        return millis < 0 || millis == Long.MAX_VALUE || millis == Long.MIN_VALUE ? "-"
                : WHEN.format(Instant.ofEpochMilli(millis).atZone(zone));
    }

    private static <K> List<Map.Entry<K, Stat>> top(Map<K, Stat> m, int n) {
        List<Map.Entry<K, Stat>> l = new ArrayList<>(m.entrySet());
        l.sort(Comparator.comparingLong((Map.Entry<K, Stat> e) -> e.getValue().count).reversed()
                .thenComparingLong(e -> e.getValue().first));
        return l.subList(0, Math.min(n, l.size()));
    }

    private static String label(LogCategory c) {
        return switch (c) {
            case PREGREET -> "PREGREET (talked before the greeting)";
            case SASL -> "SASL (failed logins)";
            case TLS -> "TLS (handshake failures)";
            case RELAY -> "Relay (relay access denied)";
            case HELO -> "HELO (rejected or bad HELO names)";
            case PROTOCOL -> "Protocol (pipelining, non-SMTP commands, bare newlines, hang-ups, errors)";
            case DNSBL -> "DNSBL (postscreen rank points)";
            case CONNECT -> "Connections";
            case DELIVERY -> "Delivery results";
        };
    }

    private static String n(long v) {
        return String.format(Locale.ROOT, "%,d", v);
    }

    /** The report for people. */
    public String toText(int topN) {
        StringBuilder sb = new StringBuilder();
        double secs = elapsedNanos / 1e9;
        sb.append("Postwarden replay of ").append(files.size()).append(files.size() == 1 ? " file" : " files")
                .append(": ").append(n(lines)).append(" lines (").append(n(bytes)).append(" bytes) in ")
                .append(String.format(Locale.ROOT, "%.1f s, %,.0f lines/s", secs, linesPerSecond())).append('\n');
        sb.append("  ").append(n(events)).append(" interesting, ").append(n(ignored)).append(" other, ")
                .append(n(tooLong)).append(" too long, ").append(n(malformed)).append(" malformed\n");
        sb.append("  period: ").append(when(firstMillis)).append(" .. ").append(when(lastMillis)).append(" (")
                .append(zone).append(")\n");
        for (LogCategory c : LogCategory.values()) {
            Table t = tables.get(c);
            if (t == null) {
                continue;
            }
            sb.append('\n').append(label(c)).append(": ").append(n(t.events)).append(" from ")
                    .append(n(t.addresses.size())).append(" addresses in ").append(n(t.networks.size()))
                    .append(" networks").append(t.users.isEmpty() ? "" : ", " + n(t.users.size()) + " users")
                    .append('\n');
            table(sb, "top addresses", top(t.addresses, topN), a -> Addresses.format(a));
            table(sb, "top networks", top(t.networks, topN), ClientKey::cidr);
            if (!t.users.isEmpty()) {
                table(sb, "top users", top(t.users, topN), u -> org.postwarden.text.LogSafe.escape(u, 40));
            }
        }
        List<BanEntry> b;
        synchronized (this) {
            b = List.copyOf(bans);
        }
        sb.append("\nBans the current configuration would have issued: ").append(b.size());
        long hosts = b.stream().filter(e -> e.ban().key().level() == KeyLevel.HOST
                || e.ban().key().v6() && e.ban().key().level() == KeyLevel.SUBNET).count();
        sb.append(" (").append(hosts).append(" hosts or /64s, ").append(b.size() - hosts).append(" wider)\n");
        if (!b.isEmpty()) {
            sb.append(String.format(Locale.ROOT, "  %-19s  %-22s  %-9s  %7s  %-18s  %s%n", "at", "network", "length",
                    "offense", "reason", "detail"));
            for (BanEntry e : b) {
                Ban x = e.ban();
                sb.append(String.format(Locale.ROOT, "  %-19s  %-22s  %-9s  %7d  %-18s  %s%n", when(x.sinceMillis()),
                        x.key().cidr(), x.permanent() ? BanDurations.PERMANENT
                                : BanDurations.format(Duration.ofMillis(x.untilMillis() - x.sinceMillis())),
                        x.offense(), x.reason() + (e.dryRun() ? " (dry-run)" : ""), x.detail()));
            }
        }
        synchronized (this) {
            if (!refusals.isEmpty()) {
                sb.append("\nBans due but not issued: ").append(refusals.size()).append('\n');
                refusals.forEach(r -> sb.append("  ").append(r.get("network")).append("  ").append(r.get("reason"))
                        .append(": ").append(r.get("detail")).append('\n'));
            }
            if (!alerts.isEmpty()) {
                sb.append("\nUser alerts (bans.user-alert-threshold): ").append(alerts.size()).append('\n');
                alerts.forEach(a -> sb.append("  ").append(a.get("user")).append("  score ").append(a.get("score"))
                        .append(" from ").append(a.get("addresses")).append(" addresses\n"));
            }
        }
        return sb.toString();
    }

    private <K> void table(StringBuilder sb, String what, List<Map.Entry<K, Stat>> rows,
            java.util.function.Function<K, String> name) {
        if (rows.isEmpty()) {
            return;
        }
        sb.append(String.format(Locale.ROOT, "  %-40s %12s  %-19s  %s%n", what, "count", "first seen",
                "last seen"));
        for (Map.Entry<K, Stat> r : rows) {
            Stat s = r.getValue();
            sb.append(String.format(Locale.ROOT, "  %-40s %12s  %-19s  %s%n", name.apply(r.getKey()), n(s.count),
                    when(s.first), when(s.last)));
        }
    }

    /** The report for scripts. */
    public String toJson(int topN) {
        Map<String, Object> root = new LinkedHashMap<>();
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("files", files);
        summary.put("bytes", bytes);
        summary.put("lines", lines);
        summary.put("events", events);
        summary.put("ignored", ignored);
        summary.put("too_long", tooLong);
        summary.put("malformed", malformed);
        summary.put("seconds", Math.round(elapsedNanos / 1e6) / 1e3);
        summary.put("lines_per_second", Math.round(linesPerSecond()));
        summary.put("first", iso(firstMillis));
        summary.put("last", iso(lastMillis));
        root.put("summary", summary);
        Map<String, Object> cats = new LinkedHashMap<>();
        for (Map.Entry<LogCategory, Table> e : tables.entrySet()) {
            Table t = e.getValue();
            Map<String, Object> c = new LinkedHashMap<>();
            c.put("events", t.events);
            c.put("addresses", t.addresses.size());
            c.put("networks", t.networks.size());
            c.put("users", t.users.size());
            c.put("top_addresses", rows(top(t.addresses, topN), Addresses::format));
            c.put("top_networks", rows(top(t.networks, topN), ClientKey::cidr));
            c.put("top_users", rows(top(t.users, topN), u -> u));
            cats.put(e.getKey().label(), c);
        }
        root.put("categories", cats);
        List<Map<String, Object>> b = new ArrayList<>();
        synchronized (this) {
            for (BanEntry e : bans) {
                Ban x = e.ban();
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("network", x.key().cidr());
                m.put("level", x.key().level().label());
                m.put("at", iso(x.sinceMillis()));
                m.put("until", x.permanent() ? null : iso(x.untilMillis()));
                m.put("length", x.permanent() ? BanDurations.PERMANENT
                        : BanDurations.format(Duration.ofMillis(x.untilMillis() - x.sinceMillis())));
                m.put("offense", x.offense());
                m.put("reason", x.reason());
                m.put("dry_run", e.dryRun());
                m.put("detail", x.detail());
                b.add(m);
            }
            root.put("bans", b);
            root.put("refused_bans", List.copyOf(refusals));
            root.put("user_alerts", List.copyOf(alerts));
        }
        try {
            return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(root) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private <K> List<Map<String, Object>> rows(List<Map.Entry<K, Stat>> rows,
            java.util.function.Function<K, String> name) {
        if (rows.isEmpty()) {
            return Collections.emptyList();
        }
        List<Map<String, Object>> out = new ArrayList<>();
        for (Map.Entry<K, Stat> r : rows) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("key", name.apply(r.getKey()));
            m.put("count", r.getValue().count);
            m.put("first", iso(r.getValue().first));
            m.put("last", iso(r.getValue().last));
            out.add(m);
        }
        return out;
    }

    private String iso(long millis) {
        return millis < 0 || millis == Long.MAX_VALUE || millis == Long.MIN_VALUE ? null
                : Instant.ofEpochMilli(millis).atZone(zone).toOffsetDateTime().toString();
    }
}
