package org.postwarden.app;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postwarden.api.Suspensions;
import org.postwarden.config.load.ConfigLoader;
import org.postwarden.daemon.Daemon;
import org.postwarden.metrics.PostwardenMetrics;
import org.postwarden.model.ManualTimeSource;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The console's safety rules over HTTP against an in-process daemon (time from a manual clock): login, cookie
 * flags, session expiry, CSRF and origin checks, security headers, escaping; and the per-minute decision ring.
 */
class ConsoleTest {
    static final long T0 = 1_800_000_000_000L;
    @TempDir
    Path dir;
    final ManualTimeSource time = new ManualTimeSource(T0);
    final HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
    Daemon daemon;
    URI base;

    void start() throws Exception {
        Path config = dir.resolve("postwarden.yaml");
        Files.writeString(config, "http: {listen: 127.0.0.1:0, console-session: 1h}\nstore: {snapshot: {path: \"\"}}\n"
                + "outbound: {state-path: \"\"}\nadmin: {token-file: " + dir.resolve("admin.token") + "}\n");
        PostwardenMetrics metrics = new PostwardenMetrics(new SimpleMeterRegistry());
        OpsMetrics ops = new OpsMetrics(metrics, "test");
        ReloadCoordinator reloads = new ReloadCoordinator(config, time, ops);
        daemon = Daemon.start(ConfigLoader.load(config), time, metrics,
                List.of(new HttpListenerFactory(reloads, Suspensions.NONE, ops)));
        reloads.attach(daemon);
        base = URI.create("http://127.0.0.1:" + ((HttpListener) daemon.listeners().get(0)).boundAddress().getPort());
    }

    @AfterEach
    void stop() {
        if (daemon != null) {
            daemon.close();
        }
    }

    HttpResponse<String> send(HttpRequest.Builder b) throws Exception {
        return http.send(b.timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> login(String token) throws Exception {
        return send(HttpRequest.newBuilder(base.resolve("/ui/login"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("token=" + token)));
    }

    String token() throws Exception {
        return Files.readString(dir.resolve("admin.token")).trim();
    }

    @Test
    void loginGivesAnHttpOnlyStrictExpiringCookieAndPagesNeedIt() throws Exception {
        start();
        HttpResponse<String> page = send(HttpRequest.newBuilder(base.resolve("/ui/bans")));
        assertEquals(303, page.statusCode());
        assertEquals("/ui/login", page.headers().firstValue("Location").orElse(""));
        HttpResponse<String> wrong = login("not-the-token-at-all");
        assertEquals(401, wrong.statusCode());
        assertTrue(wrong.headers().firstValue("Set-Cookie").isEmpty());
        HttpResponse<String> ok = login(token());
        assertEquals(303, ok.statusCode());
        String cookie = ok.headers().firstValue("Set-Cookie").orElseThrow();
        assertTrue(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Max-Age=3600")
                && cookie.contains("Path=/ui"), cookie);
        assertFalse(cookie.contains("Secure"), "plain HTTP: no Secure flag");
        String session = cookie.substring(0, cookie.indexOf(';'));
        HttpResponse<String> bans = send(HttpRequest.newBuilder(base.resolve("/ui/bans")).header("Cookie", session));
        assertEquals(200, bans.statusCode());
        String csp = bans.headers().firstValue("Content-Security-Policy").orElse("");
        assertTrue(csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'")
                && !csp.contains("unsafe-inline"), csp);
        assertEquals("nosniff", bans.headers().firstValue("X-Content-Type-Options").orElse(""));
        assertFalse(bans.body().contains("<script>") || bans.body().contains("style="), "no inline script or style");
        assertTrue(bans.body().length() < 100_000);
        // expiry: an hour later the session is gone
        time.advance(Duration.ofHours(1));
        assertEquals(303, send(HttpRequest.newBuilder(base.resolve("/ui/bans")).header("Cookie", session)).statusCode());
        assertEquals(401, send(HttpRequest.newBuilder(base.resolve("/ui/api/bans")).header("Cookie", session))
                .statusCode());
        // behind a TLS proxy the cookie is Secure
        HttpResponse<String> tls = send(HttpRequest.newBuilder(base.resolve("/ui/login"))
                .header("Content-Type", "application/x-www-form-urlencoded").header("X-Forwarded-Proto", "https")
                .POST(HttpRequest.BodyPublishers.ofString("token=" + token())));
        assertTrue(tls.headers().firstValue("Set-Cookie").orElse("").contains("; Secure"));
    }

    @Test
    void changesNeedTheCsrfTokenAndTheSameOrigin() throws Exception {
        start();
        String cookie = login(token()).headers().firstValue("Set-Cookie").orElseThrow();
        String session = cookie.substring(0, cookie.indexOf(';'));
        String page = send(HttpRequest.newBuilder(base.resolve("/ui/")).header("Cookie", session)).body();
        Matcher m = Pattern.compile("name=\"csrf-token\" content=\"([0-9a-f]{64})\"").matcher(page);
        assertTrue(m.find(), page);
        String csrf = m.group(1);
        String ban = "{\"cidr\":\"192.0.2.1\",\"duration\":\"1h\"}";
        HttpRequest.Builder noToken = HttpRequest.newBuilder(base.resolve("/ui/api/bans")).header("Cookie", session)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(ban));
        assertEquals(403, send(noToken).statusCode());
        HttpRequest.Builder otherSite = HttpRequest.newBuilder(base.resolve("/ui/api/bans")).header("Cookie", session)
                .header("X-CSRF-Token", csrf).header("Origin", "http://evil.example")
                .POST(HttpRequest.BodyPublishers.ofString(ban));
        assertEquals(403, send(otherSite).statusCode());
        assertEquals(0, daemon.engine().current().store().activeBans().size(), "nothing changed");
        HttpResponse<String> ok = send(HttpRequest.newBuilder(base.resolve("/ui/api/bans")).header("Cookie", session)
                .header("X-CSRF-Token", csrf).POST(HttpRequest.BodyPublishers.ofString(ban)));
        assertEquals(200, ok.statusCode(), ok.body());
        assertEquals(1, daemon.engine().current().store().activeBans().size());
        HttpResponse<String> unban = send(HttpRequest.newBuilder(base.resolve("/ui/api/unban")).header("Cookie", session)
                .header("X-CSRF-Token", csrf).POST(HttpRequest.BodyPublishers.ofString("{\"cidr\":\"192.0.2.1\"}")));
        assertEquals(200, unban.statusCode(), unban.body());
        assertEquals(0, daemon.engine().current().store().activeBans().size());
    }

    @Test
    void theExplainQueryIsEscapedInThePage() throws Exception {
        start();
        String cookie = login(token()).headers().firstValue("Set-Cookie").orElseThrow();
        String body = send(HttpRequest.newBuilder(base.resolve("/ui/explain?q=%22%3E%3Cimg%20src%3Dx%3E"))
                .header("Cookie", cookie.substring(0, cookie.indexOf(';')))).body();
        assertTrue(body.contains("value=\"&quot;&gt;&lt;img src=x&gt;\""), body);
        assertFalse(body.contains("<img"));
        assertEquals("&lt;b&gt; &amp; &quot;x&quot; &#39;y&#39;", Console.esc("<b> & \"x\" 'y'"));
    }

    @Test
    void sessionsAreBoundedAndExpire() {
        ConsoleSessions s = new ConsoleSessions(time, Duration.ofMinutes(10));
        ConsoleSessions.Session first = s.create();
        for (int i = 0; i < ConsoleSessions.MAX; i++) {
            assertNotNull(s.find(s.create().id()));
        }
        assertNull(s.find(first.id()), "the oldest is dropped beyond " + ConsoleSessions.MAX);
        ConsoleSessions.Session last = s.create();
        time.advance(Duration.ofMinutes(10));
        assertNull(s.find(last.id()), "expired");
        assertNull(s.find(null));
        assertNull(s.find("short"));
    }

    @Test
    void decisionRateCountsPerMinuteInABoundedRing() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        DecisionRate rate = new DecisionRate(registry);
        long t = T0 - T0 % 60_000;
        rate.sample(t);
        registry.counter("postwarden.decisions", "action", "reject").increment(3);
        registry.counter("postwarden.decisions", "action", "pass").increment(5);
        rate.sample(t + 60_000);
        registry.counter("postwarden.decisions", "action", "reject").increment(2);
        rate.sample(t + 120_000);
        long[] reject = rate.perMinute(t + 120_000).get("reject");
        assertEquals(2, reject[DecisionRate.MINUTES - 1]);
        assertEquals(3, reject[DecisionRate.MINUTES - 2]);
        assertEquals(5, rate.perMinute(t + 120_000).get("pass")[DecisionRate.MINUTES - 2]);
        String svg = rate.svg(t + 120_000);
        assertTrue(svg.startsWith("<svg") && svg.contains("data-action=\"reject\"") && svg.contains("10 in all"), svg);
        // two hours later the ring has forgotten them
        long[] later = rate.perMinute(t + 2 * 3_600_000L).get("reject");
        assertEquals(0, java.util.Arrays.stream(later).sum());
    }
}
