package org.postwarden.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import org.postwarden.admin.AdminQueries;
import org.postwarden.admin.AdminViews;
import org.postwarden.api.Engine;
import org.postwarden.api.Suspensions;
import org.postwarden.config.Durations;
import org.postwarden.config.PostwardenConfig;
import org.postwarden.model.Addresses;
import org.postwarden.model.BanKeys;
import org.postwarden.model.Cidr;
import org.postwarden.model.ClientKey;
import org.postwarden.reputation.Ban;
import org.postwarden.runtime.DaemonContext;
import org.postwarden.runtime.Listener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The admin API under {@code /admin/} on the HTTP listener. Every request needs {@code Authorization: Bearer
 * <token>} ({@link AdminAuth}) and, unless {@code admin.allow-remote}, a loopback client. Answers are JSON.
 * <ul>
 * <li>{@code GET /admin/status} — listeners, configuration source, last reload, store sizes, decisions so far;</li>
 * <li>{@code GET /admin/explain?ip=A} or {@code ?user=U} — see {@link AdminQueries};</li>
 * <li>{@code GET /admin/bans}; {@code POST /admin/bans} with {@code {"cidr":…,"duration":"1d"|"permanent",
 * "reason":…}}; {@code DELETE /admin/bans?cidr=…};</li>
 * <li>{@code GET /admin/suspensions} — senders the outbound guard suspended, with why and what was held;</li>
 * <li>{@code POST /admin/release?subject=S} (or {@code ?user=U}) — lifts an outbound suspension and releases the
 * sender's held messages ({@code postsuper -H});</li>
 * <li>{@code POST /admin/purge?subject=S} — deletes a suspended sender's held messages ({@code postsuper -d});</li>
 * <li>{@code POST /admin/ack-corrupt} — acknowledges a corrupt state snapshot found at start, so the daemon reports
 * ready again ({@code store.on-corrupt: wait-for-admin});</li>
 * <li>{@code POST /admin/reload} — reloads the configuration ({@link ReloadCoordinator});</li>
 * <li>{@code GET /admin/report?top=N} — top offenders, live.</li>
 * </ul>
 * Request bodies are capped at {@value #MAX_BODY} bytes. Refused requests are logged (never with the token).
 */
final class AdminApi {
    static final int MAX_BODY = 64 * 1024;
    private static final Logger LOG = LoggerFactory.getLogger(AdminApi.class);
    static final ObjectMapper JSON = JsonMapper.builder().build();
    private static final int MAX_TOP = 1000;

    private final DaemonContext context;
    private final AdminAuth auth;
    private final ReloadCoordinator reloads;
    private final Suspensions suspensions;
    private final OpsMetrics metrics;

    AdminApi(DaemonContext context, AdminAuth auth, ReloadCoordinator reloads, Suspensions suspensions,
            OpsMetrics metrics) {
        this.context = context;
        this.auth = auth;
        this.reloads = reloads;
        this.suspensions = suspensions;
        this.metrics = metrics;
    }

    record Answer(int status, Object body) {
    }

    /** Answers one admin request (on a worker thread of the HTTP listener). */
    HttpAnswer handle(HttpCall ex) {
        String path = ex.path();
        String name = path.startsWith("/admin/") ? path.substring("/admin/".length()) : "";
        String endpoint = endpoint(name);
        Answer a;
        try {
            refuseUnlessAllowed(ex);
            a = route(ex, name);
        } catch (AdminRefusal r) {
            a = new Answer(r.status, Map.of("error", r.getMessage()));
        } catch (RuntimeException e) {
            LOG.error("admin {} {} failed", ex.method(), path, e);
            a = new Answer(500, Map.of("error", "internal error: " + e));
        }
        try {
            byte[] body;
            try {
                body = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(a.body());
            } catch (IOException e) {
                throw new IllegalStateException("cannot write an admin answer as JSON", e);
            }
            HttpAnswer out = HttpAnswer.of(a.status(), "application/json; charset=utf-8", body)
                    .with("Cache-Control", "no-store");
            if (a.status() == 401) {
                out.with("WWW-Authenticate", "Bearer realm=\"postwarden\"");
            }
            return out;
        } finally {
            metrics.http(endpoint, a.status());
        }
    }

    static String endpoint(String name) {
        return switch (name) {
            case "status", "explain", "bans", "reload", "release", "purge", "suspensions", "report", "ack-corrupt" ->
                    "admin/" + name;
            default -> "admin/other";
        };
    }

    /** Answers an admin request whose caller the console already checked (its session), as the API would. */
    Answer call(String method, String name, Map<String, String> query, JsonNode body) throws AdminRefusal {
        return routeChecked(method, name, query, body);
    }

    private void refuseUnlessAllowed(HttpCall ex) throws AdminRefusal {
        InetAddress remote = ex.client();
        String who = remote == null ? "unknown" : Addresses.format(remote);
        if (remote != null && !remote.isLoopbackAddress() && !context.config().admin().allowRemote()) {
            LOG.warn("admin: refused {} {} from {}: not a loopback client (admin.allow-remote is false)",
                    ex.method(), ex.path(), who);
            throw new AdminRefusal(403, "admin API answers loopback clients only (admin.allow-remote: false)");
        }
        AdminAuth.Outcome o = auth.check(ex.header("Authorization"));
        if (!o.ok()) {
            LOG.warn("admin: refused {} {} from {}: {}", ex.method(), ex.path(), who,
                    o.status() == 401 ? (ex.header("Authorization") != null ? "wrong token"
                            : "no token") : o.message());
            throw new AdminRefusal(o.status(), o.message());
        }
    }

    private Answer route(HttpCall ex, String name) throws AdminRefusal {
        Map<String, String> q = AdminRequests.query(ex.rawQuery());
        JsonNode body = "POST".equals(ex.method()) && "bans".equals(name) ? AdminRequests.body(ex) : null;
        return routeChecked(ex.method(), name, q, body);
    }

    private Answer routeChecked(String method, String name, Map<String, String> q, JsonNode body)
            throws AdminRefusal {
        return switch (name) {
            case "status" -> {
                AdminRequests.only(method, "GET");
                yield new Answer(200, status());
            }
            case "explain" -> {
                AdminRequests.only(method, "GET");
                yield explain(q);
            }
            case "bans" -> switch (method) {
                case "GET" -> new Answer(200, bans());
                case "POST" -> addBan(body);
                case "DELETE" -> removeBan(AdminRequests.required(q, "cidr"));
                default -> throw AdminRequests.notAllowed("GET, POST, DELETE");
            };
            case "suspensions" -> {
                AdminRequests.only(method, "GET");
                yield new Answer(200, Map.of("suspensions", suspensions().list(),
                        "action", context.config().outbound().action()));
            }
            case "release" -> {
                AdminRequests.only(method, "POST");
                yield release(q.containsKey("subject") ? AdminRequests.required(q, "subject") : AdminRequests.required(q, "user"));
            }
            case "purge" -> {
                AdminRequests.only(method, "POST");
                yield purge(AdminRequests.required(q, "subject"));
            }
            case "reload" -> {
                AdminRequests.only(method, "POST");
                if (reloads == null) {
                    throw new AdminRefusal(501, "reload is not available in this mode");
                }
                ReloadCoordinator.Result r = reloads.reload("admin");
                yield new Answer(r.ok() ? 200 : 422, r);
            }
            case "ack-corrupt" -> {
                AdminRequests.only(method, "POST");
                if (reloads == null || reloads.daemon() == null) {
                    throw new AdminRefusal(501, "ack-corrupt is not available in this mode");
                }
                java.util.Optional<String> was = reloads.daemon().acknowledgeCorrupt();
                Map<String, Object> ack = new LinkedHashMap<>();
                ack.put("acknowledged", was.isPresent());
                ack.put("what", was.orElse(""));
                yield new Answer(200, ack);
            }
            case "report" -> {
                AdminRequests.only(method, "GET");
                int top = AdminRequests.intParam(q, "top", 10, 1, MAX_TOP);
                yield new Answer(200, new AdminQueries(context.engine(), suspensions()).report(top));
            }
            default -> throw new AdminRefusal(404, "no such admin endpoint: /admin/" + name
                    + " (status, explain, bans, suspensions, release, purge, reload, report, ack-corrupt)");
        };
    }

    // ---- endpoints ------------------------------------------------------------------------------------------

    private Map<String, Object> status() {
        AdminQueries queries = new AdminQueries(context.engine(), suspensions);
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("version", version());
        long started = ManagementFactory.getRuntimeMXBean().getStartTime();
        s.put("started", Instant.ofEpochMilli(started).toString());
        s.put("uptimeSeconds", Math.max(0, (context.time().millis() - started) / 1000));
        s.put("ready", context.ready());
        context.notReadyReason().ifPresent(r -> s.put("notReady", r));
        s.put("dryRun", context.config().dryRun());
        s.put("config", reloads == null ? "(unknown)" : reloads.source());
        s.put("lastReload", reloads == null ? null : reloads.last());
        List<Map<String, String>> ls = new ArrayList<>();
        if (reloads != null && reloads.daemon() != null) {
            for (Listener l : reloads.daemon().listeners()) {
                ls.add(Map.of("name", l.name(), "address", l.address()));
            }
        }
        s.put("listeners", ls);
        s.put("restartNeeded", ReloadCoordinator.restartNeeded(context.startConfig(), context.config()));
        s.put("store", queries.storeSizes());
        Map<String, Long> decisions = new TreeMap<>();
        for (Counter c : context.metrics().registry().find("postwarden.decisions").counters()) {
            decisions.merge(String.valueOf(c.getId().getTag("action")), (long) c.count(), Long::sum);
        }
        s.put("decisionsSinceStart", decisions);
        s.put("recentDecisions", queries.recentDecisions());
        List<String> failing = new ArrayList<>();
        for (Gauge g : context.metrics().registry().find("postwarden.dnsbl.zone.failing").gauges()) {
            if (g.value() > 0) {
                failing.add(g.getId().getTag("zone"));
            }
        }
        Map<String, Object> dnsbl = new LinkedHashMap<>();
        dnsbl.put("enabled", queries.dnsblEnabled());
        dnsbl.put("failingZones", failing);
        Map<String, Object> monitor = queries.dnsblMonitor();
        if (monitor != null) {
            dnsbl.putAll(monitor);
        }
        s.put("dnsbl", dnsbl);
        s.put("suspendedUsers", "not tracked yet (outbound guard)");
        return s;
    }

    static String version() {
        String[] v = Main.class.getAnnotation(CommandLine.Command.class).version();
        return v.length == 0 ? "unknown" : v[0].replaceFirst("^postwarden ", "");
    }

    private Answer explain(Map<String, String> q) throws AdminRefusal {
        AdminQueries queries = new AdminQueries(context.engine(), suspensions());
        if (q.containsKey("ip") == q.containsKey("user")) {
            throw new AdminRefusal(400, "explain needs exactly one of ?ip=ADDRESS or ?user=SASL_USERNAME");
        }
        if (q.containsKey("ip")) {
            InetAddress a;
            try {
                a = Cidr.parseAddress(q.get("ip"));
            } catch (IllegalArgumentException e) {
                throw new AdminRefusal(400, "ip = \"" + q.get("ip") + "\": " + e.getMessage());
            }
            return new Answer(200, queries.explainClient(a));
        }
        String user = q.get("user");
        if (user.isEmpty() || user.length() > 256) {
            throw new AdminRefusal(400, "user: expected a SASL user name of 1 to 256 characters");
        }
        return new Answer(200, queries.explainUser(user));
    }

    private Map<String, Object> bans() {
        List<AdminViews.BanView> list = new ArrayList<>();
        for (Ban b : context.engine().bans().active()) {
            list.add(AdminViews.ban(b));
        }
        return Map.of("bans", list, "count", list.size());
    }

    private Answer addBan(JsonNode body) throws AdminRefusal {
        Engine engine = context.engine();
        String cidr = AdminRequests.text(body, "cidr", true);
        Cidr target = target(cidr);
        String d = AdminRequests.text(body, "duration", false);
        Duration duration;
        if (d == null || d.isBlank()) {
            duration = null; // the escalation step of bans.durations for the target's earlier offenses
        } else if (d.trim().equalsIgnoreCase("permanent")) {
            duration = Engine.PERMANENT;
        } else {
            try {
                duration = Durations.parse(d);
            } catch (IllegalArgumentException e) {
                throw new AdminRefusal(400, "duration = \"" + d + "\": expected " + Durations.EXPECTED + ", or permanent");
            }
            if (duration.toSeconds() < 1 || duration.toDays() > 3650) {
                throw new AdminRefusal(400, "duration = \"" + d + "\": expected from 1s to 3650d, or permanent");
            }
        }
        String reason = AdminRequests.text(body, "reason", false);
        String detail = "by admin" + (reason == null || reason.isBlank() ? "" : ": " + AdminRequests.clean(reason));
        Ban b = engine.ban(target, duration, "admin", detail);
        LOG.info("admin: banned {} {} ({})", b.key().cidr(), b.permanent() ? "permanently"
                : "for " + Durations.format(Duration.ofMillis(b.untilMillis() - b.sinceMillis())), detail);
        persist();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("ban", AdminViews.ban(b));
        List<String> warnings = new AdminQueries(engine, suspensions).banWarnings(target);
        warnings.forEach(w -> LOG.warn("admin: ban of {}: {}", b.key().cidr(), w));
        out.put("warnings", warnings);
        return new Answer(200, out);
    }

    /** The ban target {@code cidr}, refused with the value and what bans apply to. */
    private Cidr target(String cidr) throws AdminRefusal {
        Cidr c;
        try {
            c = Cidr.parse(cidr);
        } catch (IllegalArgumentException e) {
            throw new AdminRefusal(400, "cidr = \"" + cidr + "\": " + e.getMessage());
        }
        try {
            banKey(c);
        } catch (IllegalArgumentException e) {
            throw new AdminRefusal(400, "cidr = \"" + cidr + "\": " + e.getMessage());
        }
        return c;
    }

    /** The key a ban of {@code c} is stored under in the running configuration (see BanKeys). */
    private ClientKey banKey(Cidr c) {
        PostwardenConfig cfg = context.config();
        return BanKeys.of(c, cfg.store().ipv6WidePrefix(),
                cfg.networks().ipv6Tiers().stream().mapToInt(PostwardenConfig.Ipv6Tier::prefix).toArray());
    }

    private Answer removeBan(String cidr) throws AdminRefusal {
        Cidr target = target(cidr);
        String key = banKey(target).cidr();
        if (!context.engine().unban(target)) {
            throw new AdminRefusal(404, "no active ban on " + key);
        }
        LOG.info("admin: lifted the ban on {}", key);
        persist();
        return new Answer(200, Map.of("removed", key));
    }

    /** The outbound guard's suspensions, or the injected ones (tests, no guard). */
    private Suspensions suspensions() {
        return new AdminQueries(context.engine(), suspensions).suspensions();
    }

    private Answer release(String name) throws AdminRefusal {
        String subject = Suspensions.subject(name);
        Optional<Suspensions.Outcome> o = suspensions().release(subject);
        if (o.isEmpty()) {
            throw new AdminRefusal(404, "no suspension for " + AdminRequests.clean(subject));
        }
        return new Answer(200, outcome("released", o.get()));
    }

    private Answer purge(String name) throws AdminRefusal {
        String subject = Suspensions.subject(name);
        Optional<Suspensions.Outcome> o = suspensions().purge(subject);
        if (o.isEmpty()) {
            throw new AdminRefusal(404, "no suspension for " + AdminRequests.clean(subject) + " (only a suspended sender's held "
                    + "messages can be purged)");
        }
        return new Answer(200, outcome("purged", o.get()));
    }

    private static Map<String, Object> outcome(String verb, Suspensions.Outcome o) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put(verb, o.suspension());
        out.put("messages", o.messages());
        out.put("error", o.error());
        return out;
    }

    /** Writes a snapshot so that an admin's ban change survives a crash (no-op without persistence). */
    private void persist() {
        if (reloads != null && reloads.daemon() != null) {
            reloads.daemon().snapshot();
        }
    }
}
