package org.postwarden.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.openqa.selenium.Alert;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.NoAlertPresentException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.postwarden.it.harness.Browser;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The web console in a real browser (Debian's chromium, headless, through Selenium and Debian's chromedriver)
 * against the real daemon ({@link DaemonProcess}): a wrong token is refused, login, a ban from the mail log that
 * the policy server enforces shows on the bans page, a ban added and removed there, a client's HTML-looking HELO shown as text on its
 * explain page with no script run, the live stream, the reload button with a refused config, and no request to a
 * host other than the daemon's. Policy requests go straight to the policy listener (their client addresses are
 * documentation addresses in attributes; all traffic is to 127.0.0.1). Screenshots of each page are saved under
 * {@code target/console-screenshots/}.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConsoleIT {
    static final String BOT = "203.0.113.66";
    static final String XSS_CLIENT = "203.0.113.77";
    static final String XSS_HELO = "<img src=x onerror=alert(1)>";
    static final Duration WAIT = Duration.ofSeconds(60);
    static Path dir;
    static DaemonProcess daemon;
    static Browser browser;
    static ChromeDriver web;
    static String base;
    static final Set<String> seen = new LinkedHashSet<>();

    @BeforeAll
    static void start() throws Exception {
        dir = Files.createTempDirectory("pw-console-it");
        Files.writeString(dir.resolve("maillog"), "");
        browser = Browser.start();
        web = browser.driver();
        daemon = DaemonProcess.start(dir, """
                networks: {local-domains: [example.test]}
                limits:
                  host: {connections: [], messages: [], recipients: []}
                  subnet: {connections: [], messages: [], recipients: []}
                ingest:
                  files: [%1$s/maillog]
                  poll-interval: 100ms
                  state-path: %1$s/ingest.offsets
                scoring:
                  weights: {auth-failure: 10.0}
                bans:
                  threshold: 20.0
                  scanners: {enabled: false}
                outbound: {state-path: ""}
                """.formatted(dir));
        base = "http://127.0.0.1:" + daemon.httpPort();
    }

    @AfterAll
    static void stop() throws Exception {
        if (browser != null) {
            browser.close();
        }
        if (daemon != null) {
            daemon.stop();
        }
    }

    static String token() throws Exception {
        return Files.readString(dir.resolve("state/admin.token")).trim();
    }

    static WebDriverWait await() {
        return new WebDriverWait(web, WAIT);
    }

    /** Opens {@code path} and remembers every URL the page loaded (navigation and resources). */
    static void open(String path) {
        web.get(base + path);
        record();
    }

    @SuppressWarnings("unchecked")
    static void record() {
        seen.add(web.getCurrentUrl());
        Object urls = ((JavascriptExecutor) web).executeScript(
                "return performance.getEntriesByType('resource').map(function (e) { return e.name; });");
        seen.addAll((List<String>) urls);
    }

    /** One policy request (Postfix's attributes) for {@code client}; returns the action line. */
    static String policy(String client, String helo, String rcpt) throws Exception {
        try (Socket s = new Socket("127.0.0.1", daemon.policyPort())) {
            s.setSoTimeout(30_000);
            OutputStream out = s.getOutputStream();
            out.write(("request=smtpd_access_policy\nprotocol_state=RCPT\nprotocol_name=ESMTP\nclient_address="
                    + client + "\nclient_name=unknown\nhelo_name=" + helo + "\nsender=a@sender.test\nrecipient="
                    + rcpt + "\ninstance=" + System.nanoTime() + "\n\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
            String line = in.readLine();
            return line == null ? "" : line;
        }
    }

    void login(String token) {
        open("/ui/login");
        WebElement field = web.findElement(By.id("token"));
        assertEquals("Admin token", web.findElement(By.cssSelector("label[for=token]")).getText());
        field.clear();
        field.sendKeys(token);
        field.submit();
        record();
    }

    @Test
    @Order(1)
    void aWrongTokenIsRefused() throws Exception {
        open("/ui/bans");
        assertTrue(web.getCurrentUrl().endsWith("/ui/login"), "no session: to the login form " + web.getCurrentUrl());
        login(token().substring(0, 60) + "zzzz");
        assertTrue(web.findElement(By.cssSelector("p.error")).getText().startsWith("Wrong token"),
                web.getPageSource());
        assertTrue(web.getCurrentUrl().endsWith("/ui/login"));
        assertTrue(web.manage().getCookies().isEmpty(), "no session cookie: " + web.manage().getCookies());
        browser.screenshot("login-refused");
        assertTrue(daemon.log().contains("console: refused login from 127.0.0.1: wrong token"), daemon.log());
        assertFalse(daemon.log().contains(token()), "the token is never logged");
    }

    @Test
    @Order(2)
    void logInAndSeeTheOverview() throws Exception {
        login(token());
        await().until(ExpectedConditions.urlToBe(base + "/ui/"));
        var cookie = web.manage().getCookieNamed("pw_session");
        assertTrue(cookie != null && cookie.isHttpOnly() && "Strict".equals(cookie.getSameSite()), String.valueOf(cookie));
        assertFalse(web.getCurrentUrl().contains(token()), "the token is not in a URL");
        assertTrue(web.findElement(By.id("rate-chart")).isDisplayed(), "the decisions chart is drawn");
        await().until(d -> d.findElement(By.id("listeners")).getText().contains("policy"));
        await().until(d -> d.findElement(By.id("queue")).getText().contains("not watched"));
        browser.screenshot("overview");
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(base + "/ui/login"))
                .build(), HttpResponse.BodyHandlers.ofString());
        String csp = r.headers().firstValue("Content-Security-Policy").orElse("");
        assertTrue(csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe-inline"), csp);
        assertEquals("nosniff", r.headers().firstValue("X-Content-Type-Options").orElse(""));
    }

    /**
     * Bans come from log signals (the engine bans on what the logs show; the policy server refuses what is banned):
     * three failed SASL logins in the mail log ban the bot, the policy server then refuses it, and the bans page
     * shows the ban.
     */
    @Test
    @Order(3)
    void aBanFromTheLogEnforcedByThePolicyServerShowsOnTheBansPage() throws Exception {
        String now = java.time.LocalDateTime.now().format(
                java.time.format.DateTimeFormatter.ofPattern("MMM ppd HH:mm:ss", java.util.Locale.ENGLISH));
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < 3; i++) {
            lines.append(now).append(" mx postfix/smtpd[22").append(i).append("]: warning: unknown[").append(BOT)
                    .append("]: SASL LOGIN authentication failed: UGFzc3dvcmQ6\n");
        }
        Files.writeString(dir.resolve("maillog"), lines.toString(), java.nio.file.StandardOpenOption.APPEND);
        String[] last = {""};
        await().until(d -> {
            try {
                last[0] = policy(BOT, "bot.sender.test", "victim@example.test");
            } catch (Exception e) {
                return false;
            }
            return last[0].contains("banned");
        });
        assertTrue(last[0].contains(BOT + "/32 is banned"), "the policy server refuses the banned bot: " + last[0]);
        open("/ui/bans");
        By row = By.cssSelector("tr[data-cidr='" + BOT + "/32']");
        await().until(d -> !d.findElements(row).isEmpty());
        assertTrue(web.findElement(row).getText().contains("SASL LOGIN authentication failed"),
                web.findElement(row).getText());
        browser.screenshot("bans");
    }

    @Test
    @Order(4)
    void addAndRemoveABan() throws Exception {
        open("/ui/bans");
        web.findElement(By.id("ban-cidr")).sendKeys("192.0.2.0/24");
        web.findElement(By.id("ban-duration")).sendKeys("2h");
        // with the keyboard: Enter in the last field submits the form
        web.findElement(By.id("ban-reason")).sendKeys("console test <b>bold</b>", org.openqa.selenium.Keys.ENTER);
        By row = By.cssSelector("tr[data-cidr='192.0.2.0/24']");
        await().until(d -> !d.findElements(row).isEmpty());
        assertTrue(web.findElement(row).getText().contains("by admin: console test <b>bold</b>"),
                "the reason is shown as text: " + web.findElement(row).getText());
        assertTrue(web.findElements(By.cssSelector("#bans-list b")).isEmpty(), "no HTML from the reason");
        web.findElement(By.id("ban-search")).sendKeys("console test");
        await().until(d -> d.findElements(By.cssSelector("#bans-table tbody tr")).size() == 1);
        browser.screenshot("bans-search");
        web.findElement(By.cssSelector("tr[data-cidr='192.0.2.0/24'] button")).click();
        await().until(d -> d.findElements(row).isEmpty());
        await().until(d -> d.findElement(By.id("status")).getText().contains("removed"));
        assertTrue(daemon.log().contains("admin: lifted the ban on 192.0.2.0/24"), daemon.log());
    }

    @Test
    @Order(5)
    void aClientsHtmlHeloIsShownAsTextAndRunsNothing() throws Exception {
        String a = policy(XSS_CLIENT, XSS_HELO, "someone@example.test");
        assertTrue(a.startsWith("action="), a);
        ((JavascriptExecutor) web).executeScript("window.alerted = false;");
        open("/ui/explain?q=" + XSS_CLIENT);
        await().until(d -> d.findElement(By.id("explain")).getText().contains(XSS_HELO));
        assertTrue(web.findElements(By.cssSelector("#explain img, main img")).isEmpty(), "no <img> was made");
        assertThrows(NoAlertPresentException.class, () -> web.switchTo().alert(), "no script ran");
        assertEquals(XSS_CLIENT, web.findElement(By.id("q")).getDomProperty("value"));
        WebElement shown = web.findElement(By.xpath("//*[@id='explain']//span[text()='" + XSS_HELO + "']"));
        ((JavascriptExecutor) web).executeScript("arguments[0].scrollIntoView({block: 'center'});", shown);
        browser.screenshot("explain");
        // the query itself is escaped when the page is built
        open("/ui/explain?q=%22%3E%3Cscript%3Ealert(2)%3C%2Fscript%3E");
        assertTrue(web.findElements(By.cssSelector("main script")).isEmpty());
        assertThrows(NoAlertPresentException.class, () -> web.switchTo().alert(), "no script ran");
        assertEquals("\"><script>alert(2)</script>", web.findElement(By.id("q")).getDomProperty("value"));
    }

    @Test
    @Order(6)
    void liveDecisionsStream() throws Exception {
        open("/ui/live");
        web.findElement(By.cssSelector("#live-form button[type=submit]")).click();
        await().until(d -> d.findElement(By.id("status")).getText().contains("Following"));
        List<String> actions = new ArrayList<>();
        String probe = "203.0.113.88";
        await().until(d -> {
            try {
                actions.add(policy(probe, "nodot", "x@example.test"));
            } catch (Exception e) {
                return false;
            }
            return d.findElement(By.cssSelector("#live tbody")).getText().contains(probe);
        });
        browser.screenshot("live");
    }

    @Test
    @Order(7)
    void reloadShowsValidationErrors() throws Exception {
        open("/ui/config");
        await().until(d -> d.findElement(By.id("config-effective")).getText().contains("\"listen\""));
        String good = Files.readString(daemon.config());
        Files.writeString(daemon.config(), good + "greylist: {delay: banana}\n");
        try {
            web.findElement(By.id("reload")).click();
            await().until(d -> d.findElement(By.id("reload-result")).getText().contains("refused"));
            assertTrue(web.findElement(By.id("reload-result")).getText().contains("greylist.delay"),
                    web.findElement(By.id("reload-result")).getText());
            browser.screenshot("config");
        } finally {
            Files.writeString(daemon.config(), good);
        }
        web.findElement(By.id("reload")).click();
        await().until(d -> d.findElement(By.id("reload-result")).getText().contains("Reloaded"));
    }

    @Test
    @Order(8)
    void outboundPageAndNoRequestToAnotherHost() throws Exception {
        open("/ui/outbound");
        await().until(d -> d.findElement(By.id("suspensions")).getText().contains("No sender is suspended"));
        browser.screenshot("outbound");
        // every control of every page has a label (a <label for>, or an aria-label on a button)
        for (String page : List.of("/ui/", "/ui/bans", "/ui/outbound", "/ui/explain", "/ui/live", "/ui/config")) {
            open(page);
            for (WebElement c : web.findElements(By.cssSelector("input, select, textarea"))) {
                String id = c.getDomAttribute("id");
                assertFalse(id == null || web.findElements(By.cssSelector("label[for='" + id + "']")).isEmpty(),
                        page + ": a control without a label: " + c.getDomProperty("outerHTML"));
            }
            for (WebElement b : web.findElements(By.tagName("button"))) {
                assertFalse(b.getText().isBlank() && b.getDomAttribute("aria-label") == null, page + ": " + b);
            }
        }
        open("/ui/");
        for (String u : seen) {
            assertTrue(u.startsWith(base + "/"), "every request went to the daemon: " + u + " in " + seen);
        }
        assertTrue(seen.stream().anyMatch(u -> u.endsWith("/ui/static/app.js")), seen.toString());
        // a change without the CSRF token is refused, even with the session cookie
        String refused = (String) ((JavascriptExecutor) web).executeAsyncScript(
                "var done = arguments[0]; fetch('/ui/api/bans', {method: 'POST', headers: {'Content-Type': "
                        + "'application/json'}, body: JSON.stringify({cidr: '198.18.0.1'})}).then(function (r) {"
                        + " done(String(r.status)); });");
        assertEquals("403", refused);
        try {
            Alert alert = web.switchTo().alert();
            throw new AssertionError("unexpected alert: " + alert.getText());
        } catch (NoAlertPresentException expected) {
            // nothing ran
        }
    }
}
