package org.postwarden.app;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import org.postwarden.api.Suspensions;
import org.postwarden.config.Durations;
import org.postwarden.daemon.CurrentEngine;
import org.postwarden.engine.DecisionEngine;
import org.postwarden.engine.RecentDecisions;
import org.postwarden.model.Addresses;
import org.postwarden.model.Cidr;
import org.postwarden.runtime.DaemonContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The web console under {@code /ui/} on the HTTP listener: pages for the overview, bans, outbound suspensions,
 * explain, the live decision stream and the configuration, and the JSON they read under {@code /ui/api/} (the admin
 * API's answers, reached with a session instead of the bearer token).
 *
 * <p>Safe by construction. Loopback clients only unless {@code admin.allow-remote}, as the API. The admin token is
 * posted once to the login form ({@link ConsoleSessions}); the session is an HttpOnly, SameSite=Strict cookie
 * (Secure behind a TLS proxy) that expires after {@code http.console-session}; every change is a POST with a JSON
 * body and the session's CSRF token in a header, and a cross-origin {@code Origin} is refused. The token is never in
 * a URL or a log. Pages carry no data from clients: the script ({@code app.js}) fetches JSON and shows every value
 * with {@code textContent}; the only server-rendered values are escaped ({@link #esc}). Every answer has a
 * Content-Security-Policy without {@code unsafe-inline} ({@value #CSP}), {@code X-Content-Type-Options: nosniff},
 * {@code X-Frame-Options: DENY}, {@code Referrer-Policy: same-origin} (no-referrer would make the browser send {@code Origin: null}, which the origin check refuses) and {@code Cache-Control: no-store}. Assets
 * come from the jar. Runs on the HTTP listener's worker threads, except the live streams, which a scheduler of the
 * console feeds.
 */
final class Console {
    static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
            + "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
    static final String COOKIE = "pw_session";
    /** Live streams open at once; more are answered 503. */
    static final int MAX_STREAMS = 4;
    /** Decisions sent per stream and tick (one tick every {@value #TICK_MILLIS} ms): at most 40 a second. */
    static final int MAX_PER_TICK = 20;
    static final long TICK_MILLIS = 500;
    /** Longest decision event sent (characters); longer values are cut. */
    static final int MAX_FIELD = 300;
    private static final Logger LOG = LoggerFactory.getLogger(Console.class);
    private static final ObjectMapper JSON = JsonMapper.builder()
            .addModule(new SimpleModule().addSerializer(Duration.class, new StdSerializer<>(Duration.class) {
                @Override
                public void serialize(Duration d, JsonGenerator g, SerializerProvider p) throws IOException {
                    g.writeString(Durations.format(d));
                }
            }))
            .build();
    private static final Map<String, String> ASSETS = Map.of(
            "app.js", "text/javascript; charset=utf-8", "app.css", "text/css; charset=utf-8");

    private final DaemonContext context;
    private final AdminAuth auth;
    private final ReloadCoordinator reloads;
    private final AdminApi admin;
    private final OpsMetrics ops;
    private final ConsoleSessions sessions;
    private final DecisionRate rate;
    private final ScheduledExecutorService ticker;
    private final AtomicInteger streams = new AtomicInteger();

    Console(DaemonContext context, AdminAuth auth, ReloadCoordinator reloads, Suspensions suspensions, OpsMetrics ops,
            AdminApi admin) {
        this.context = context;
        this.auth = auth;
        this.reloads = reloads;
        this.admin = admin;
        this.ops = ops;
        this.sessions = new ConsoleSessions(context.time(), context.startConfig().http().consoleSession());
        this.rate = new DecisionRate(context.metrics().registry());
        this.ticker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "postwarden-console");
            t.setDaemon(true);
            return t;
        });
        rate.sample(context.time().millis());
        ticker.scheduleAtFixedRate(() -> rate.sample(context.time().millis()), 10, 10, TimeUnit.SECONDS);
    }

    /** The per-minute decision counts (for tests). */
    DecisionRate rate() {
        return rate;
    }

    void close() {
        ticker.shutdownNow();
    }

    HttpAnswer handle(HttpCall c) {
        HttpAnswer a;
        try {
            a = route(c);
        } catch (AdminRefusal r) {
            a = c.path().startsWith("/ui/api/") ? json(r.status, Map.of("error", r.getMessage()))
                    : page(r.status, "Refused", "", "<p class=\"error\">" + esc(r.getMessage()) + "</p>", null);
        } catch (RuntimeException e) {
            LOG.error("console {} {} failed", c.method(), c.path(), e);
            a = json(500, Map.of("error", "internal error"));
        }
        ops.http("ui", a.status());
        return secure(a);
    }

    private static HttpAnswer secure(HttpAnswer a) {
        return a.with("Content-Security-Policy", CSP).with("X-Frame-Options", "DENY")
                .with("Referrer-Policy", "same-origin").with("Cache-Control", "no-store");
    }

    private HttpAnswer route(HttpCall c) throws AdminRefusal {
        InetAddress remote = c.client();
        if (remote != null && !remote.isLoopbackAddress() && !context.config().admin().allowRemote()) {
            LOG.warn("console: refused {} {} from {}: not a loopback client (admin.allow-remote is false)",
                    c.method(), c.path(), Addresses.format(remote));
            throw new AdminRefusal(403, "the console answers loopback clients only (admin.allow-remote: false)");
        }
        String p = c.path();
        if (p.startsWith("/ui/static/")) {
            return asset(c, p.substring("/ui/static/".length()));
        }
        if (p.equals("/ui/login")) {
            return "POST".equals(c.method()) ? login(c) : loginPage(200, "");
        }
        ConsoleSessions.Session s = sessions.find(cookie(c));
        if (s == null) {
            if (p.startsWith("/ui/api/")) {
                throw new AdminRefusal(401, "not logged in (or the session expired): log in at /ui/login");
            }
            return redirect("/ui/login");
        }
        boolean post = "POST".equals(c.method());
        if (post) {
            checkCsrf(c, s);
        } else if (!"GET".equals(c.method()) && !"HEAD".equals(c.method())) {
            throw new AdminRefusal(405, "method not allowed");
        }
        if (p.equals("/ui/logout") && post) {
            sessions.remove(s);
            return redirect("/ui/login").with("Set-Cookie", COOKIE + "=; Path=/ui; HttpOnly; SameSite=Strict; Max-Age=0");
        }
        if (p.startsWith("/ui/api/")) {
            return api(c, p.substring("/ui/api/".length()), post, s);
        }
        if (post) {
            throw new AdminRefusal(404, "no such action");
        }
        return switch (p) {
            case "/ui", "/ui/" -> page(200, "Overview", "overview", overview(), s);
            case "/ui/bans" -> page(200, "Bans", "bans", ConsolePages.BANS, s);
            case "/ui/outbound" -> page(200, "Outbound", "outbound", ConsolePages.OUTBOUND, s);
            case "/ui/explain" -> page(200, "Explain", "explain", ConsolePages.explain(query(c).getOrDefault("q", "")), s);
            case "/ui/live" -> page(200, "Live", "live", ConsolePages.LIVE, s);
            case "/ui/config" -> page(200, "Configuration", "config", ConsolePages.CONFIG, s);
            default -> throw new AdminRefusal(404, "no such page: " + AdminRequests.clean(p));
        };
    }

    // ---- login ----------------------------------------------------------------------------------------------

    private HttpAnswer login(HttpCall c) throws AdminRefusal {
        checkOrigin(c);
        String type = c.header("Content-Type");
        if (type == null || !type.toLowerCase().startsWith("application/x-www-form-urlencoded")) {
            throw new AdminRefusal(415, "the login form posts application/x-www-form-urlencoded");
        }
        Map<String, String> form = AdminRequests.query(new String(c.body(), StandardCharsets.UTF_8));
        String token = form.getOrDefault("token", "");
        AdminAuth.Outcome o = auth.check("Bearer " + token);
        String who = c.client() == null ? "unknown" : Addresses.format(c.client());
        if (!o.ok()) {
            LOG.warn("console: refused login from {}: {}", who, o.status() == 401
                    ? (token.isBlank() ? "no token" : "wrong token") : o.message());
            return loginPage(o.status() == 401 ? 401 : o.status(), o.status() == 401
                    ? "Wrong token: use the first line of " + auth.file() + "." : o.message());
        }
        ConsoleSessions.Session s = sessions.create();
        LOG.info("console: login from {}", who);
        String secure = "https".equalsIgnoreCase(String.valueOf(c.header("X-Forwarded-Proto"))) ? "; Secure" : "";
        return redirect("/ui/").with("Set-Cookie", COOKIE + "=" + s.id() + "; Path=/ui; HttpOnly; SameSite=Strict; Max-Age="
                + sessions.lifetime().toSeconds() + secure);
    }

    private HttpAnswer loginPage(int status, String error) {
        String body = ConsolePages.login(error.isEmpty() ? "" : "<p class=\"error\" role=\"alert\">" + esc(error) + "</p>");
        return page(status, "Log in", "login", body, null);
    }

    private static String cookie(HttpCall c) {
        String h = c.header("Cookie");
        if (h == null) {
            return null;
        }
        for (String part : h.split(";")) {
            String t = part.trim();
            if (t.startsWith(COOKIE + "=")) {
                return t.substring(COOKIE.length() + 1);
            }
        }
        return null;
    }

    private void checkCsrf(HttpCall c, ConsoleSessions.Session s) throws AdminRefusal {
        checkOrigin(c);
        String t = c.header("X-CSRF-Token");
        if (t == null || !MessageDigest.isEqual(t.getBytes(StandardCharsets.UTF_8), s.csrf().getBytes(StandardCharsets.UTF_8))) {
            LOG.warn("console: refused {} {}: missing or wrong CSRF token", c.method(), c.path());
            throw new AdminRefusal(403, "missing or wrong CSRF token (reload the page)");
        }
    }

    /** A browser's cross-site POST carries its origin: it must be this listener's. */
    private static void checkOrigin(HttpCall c) throws AdminRefusal {
        String origin = c.header("Origin");
        String host = c.header("Host");
        if (origin != null && !origin.equals("null") && host != null
                && !(origin.equals("http://" + host) || origin.equals("https://" + host))) {
            throw new AdminRefusal(403, "cross-origin request refused");
        }
        if ("null".equals(origin)) {
            throw new AdminRefusal(403, "cross-origin request refused");
        }
    }

    // ---- JSON for the pages ---------------------------------------------------------------------------------

    private HttpAnswer api(HttpCall c, String name, boolean post, ConsoleSessions.Session s) throws AdminRefusal {
        Map<String, String> q = query(c);
        if (post) {
            JsonNode body = AdminRequests.body(c);
            return switch (name) {
                case "bans" -> admin(admin.call("POST", "bans", Map.of(), body));
                case "unban" -> admin(admin.call("DELETE", "bans", Map.of("cidr", AdminRequests.text(body, "cidr", true)), null));
                case "release" -> admin(admin.call("POST", "release", Map.of("subject", AdminRequests.text(body, "subject", true)), null));
                case "purge" -> admin(admin.call("POST", "purge", Map.of("subject", AdminRequests.text(body, "subject", true)), null));
                case "reload" -> admin(admin.call("POST", "reload", Map.of(), null));
                default -> throw new AdminRefusal(404, "no such console action: " + AdminRequests.clean(name));
            };
        }
        return switch (name) {
            case "status" -> admin(admin.call("GET", "status", Map.of(), null));
            case "report" -> admin(admin.call("GET", "report", Map.of("top", "10"), null));
            case "bans" -> admin(admin.call("GET", "bans", Map.of(), null));
            case "suspensions" -> admin(admin.call("GET", "suspensions", Map.of(), null));
            case "explain" -> admin(admin.call("GET", "explain", explainQuery(AdminRequests.required(q, "q")), null));
            case "config" -> json(200, config());
            case "rate" -> json(200, rate.lastHour(context.time().millis()));
            case "queue" -> json(200, queue());
            case "live" -> live(q);
            default -> throw new AdminRefusal(404, "no such console data: " + AdminRequests.clean(name));
        };
    }

    /** {@code q} as an address ({@code ?ip=}) when it is one, else as a user name ({@code ?user=}). */
    static Map<String, String> explainQuery(String q) {
        try {
            Cidr.parseAddress(q);
            return Map.of("ip", q);
        } catch (IllegalArgumentException e) {
            return Map.of("user", q);
        }
    }

    private Map<String, Object> config() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("source", reloads == null ? "(unknown)" : reloads.source());
        out.put("lastReload", reloads == null ? null : reloads.last());
        out.put("reloadAvailable", reloads != null);
        out.put("restartNeeded", ReloadCoordinator.restartNeeded(context.startConfig(), context.config()));
        out.put("effective", JSON.valueToTree(context.config()));
        return out;
    }

    /** Postfix's queue depth by queue, as the outbound queue watcher last saw it (when it runs). */
    private Map<String, Object> queue() {
        Map<String, Object> byQueue = new java.util.TreeMap<>();
        for (io.micrometer.core.instrument.Gauge g : context.metrics().registry().find("postwarden.queue.messages")
                .gauges()) {
            byQueue.put(String.valueOf(g.getId().getTag("queue")), (long) g.value());
        }
        boolean watched = context.config().outbound().queue().watch();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("watched", watched);
        out.put("messages", watched ? byQueue : "not watched (outbound.queue.watch: false)");
        return out;
    }

    private static HttpAnswer admin(AdminApi.Answer a) {
        return json(a.status(), a.body());
    }

    static HttpAnswer json(int status, Object body) {
        try {
            return HttpAnswer.of(status, "application/json; charset=utf-8", JSON.writeValueAsBytes(body));
        } catch (IOException e) {
            throw new IllegalStateException("cannot write console JSON", e);
        }
    }

    private static Map<String, String> query(HttpCall c) throws AdminRefusal {
        return AdminRequests.query(c.rawQuery());
    }

    // ---- live decisions (Server-Sent Events) ----------------------------------------------------------------

    private HttpAnswer live(Map<String, String> q) throws AdminRefusal {
        RecentDecisions ring = ring();
        if (ring == null) {
            throw new AdminRefusal(501, "no decision ring in this mode");
        }
        String action = q.getOrDefault("action", "").trim().toLowerCase();
        String client = q.getOrDefault("client", "").trim();
        if (action.length() > 32 || client.length() > 64) {
            throw new AdminRefusal(400, "filter too long");
        }
        if (streams.incrementAndGet() > MAX_STREAMS) {
            streams.decrementAndGet();
            throw new AdminRefusal(503, MAX_STREAMS + " live streams are open already");
        }
        long start = ring.recorded();
        return new HttpAnswer(200, "text/event-stream; charset=utf-8", new byte[0], new LinkedHashMap<>(), true,
                sink -> {
                    long[] last = {start - 1};
                    java.util.concurrent.ScheduledFuture<?>[] f = new java.util.concurrent.ScheduledFuture<?>[1];
                    sink.send(": connected\n\n");
                    f[0] = ticker.scheduleAtFixedRate(() -> {
                        try {
                            if (!sink.open()) {
                                return;
                            }
                            List<RecentDecisions.Entry> news = ring.newest(e -> e.seq() > last[0]
                                    && (action.isEmpty() || e.action().name().equalsIgnoreCase(action))
                                    && (client.isEmpty() || e.client() != null
                                            && Addresses.format(e.client()).startsWith(client)), MAX_PER_TICK);
                            long newest = ring.recorded() - 1;
                            for (int i = news.size() - 1; i >= 0; i--) {
                                sink.send("event: decision\ndata: " + JSON.writeValueAsString(event(news.get(i))) + "\n\n");
                            }
                            last[0] = Math.max(last[0], newest); // beyond MAX_PER_TICK a tick's rest is skipped
                        } catch (IOException | RuntimeException e) {
                            LOG.debug("live stream tick failed: {}", e.toString());
                        }
                    }, TICK_MILLIS, TICK_MILLIS, TimeUnit.MILLISECONDS);
                    sink.onClose(() -> {
                        f[0].cancel(false);
                        streams.decrementAndGet();
                    });
                });
    }

    private RecentDecisions ring() {
        if (context.engine() instanceof CurrentEngine c) {
            return c.current().recent();
        }
        return context.engine() instanceof DecisionEngine d ? d.recent() : null;
    }

    private static Map<String, Object> event(RecentDecisions.Entry e) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("at", java.time.Instant.ofEpochMilli(e.atMillis()).toString());
        m.put("source", e.source());
        m.put("stage", String.valueOf(e.stage()));
        m.put("client", e.client() == null ? "" : Addresses.format(e.client()));
        m.put("helo", cut(e.helo()));
        m.put("sender", cut(e.sender()));
        m.put("recipient", cut(e.recipient()));
        m.put("user", cut(e.user()));
        m.put("action", e.action().name().toLowerCase());
        m.put("reason", cut(e.reason()));
        return m;
    }

    private static String cut(String s) {
        return s == null ? "" : s.length() > MAX_FIELD ? s.substring(0, MAX_FIELD) + "…" : s;
    }

    // ---- pages ----------------------------------------------------------------------------------------------

    private String overview() {
        return ConsolePages.OVERVIEW_HEAD + rate.svg(context.time().millis()) + ConsolePages.OVERVIEW_TAIL;
    }

    private HttpAnswer page(int status, String title, String id, String main, ConsoleSessions.Session s) {
        String html = ConsolePages.frame(esc(title), id, s == null ? "" : esc(s.csrf()), s != null, main);
        return HttpAnswer.of(status, "text/html; charset=utf-8", html.getBytes(StandardCharsets.UTF_8));
    }

    private static HttpAnswer redirect(String to) {
        return HttpAnswer.of(303, "text/plain; charset=utf-8", new byte[0]).with("Location", to);
    }

    private HttpAnswer asset(HttpCall c, String name) throws AdminRefusal {
        String type = ASSETS.get(name);
        if (type == null) {
            throw new AdminRefusal(404, "no such asset");
        }
        try (InputStream in = Console.class.getResourceAsStream("/org/postwarden/console/" + name)) {
            if (in == null) {
                throw new AdminRefusal(404, "no such asset");
            }
            return HttpListener.getOnly(c, HttpAnswer.of(200, type, in.readAllBytes()));
        } catch (IOException e) {
            throw new IllegalStateException("cannot read console asset " + name, e);
        }
    }

    /** HTML-escapes {@code s} for text and attribute values. */
    static String esc(String s) {
        StringBuilder b = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            switch (ch) {
                case '&' -> b.append("&amp;");
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(ch);
            }
        }
        return b.toString();
    }
}
