package org.postwarden.it;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.postwarden.it.harness.Exec;
import org.postwarden.it.harness.NetNamespace;
import org.postwarden.it.harness.PostfixInstance;
import org.postwarden.it.harness.Requirements;
import org.postwarden.it.harness.Swaks;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * End to end, issue 20 part 4: the bans outside Postwarden, with the real {@code nft} and a real Postfix.
 *
 * <p>The nftables sets live in a private user and network namespace ({@link NetNamespace}): the daemon runs as usual
 * (its ports reachable from the test) and its {@code bans.export.nftables.command} is a wrapper script that enters
 * the namespace with {@code nsenter}, so the host's firewall is never touched. The wrapper also carries the test's
 * hook to make nft hang, fail or go missing. The cidr map goes to a Postfix whose postscreen reads it
 * ({@code postscreen_access_list = permit_mynetworks, cidr:…}, {@code postscreen_denylist_action = drop}),
 * reloaded by the daemon's {@code reload-command} after each rewrite.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FirewallIT {
    static final Duration WAIT = Duration.ofSeconds(30);
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final String BANNED = "127.0.0.66";
    static final String NEIGHBOUR = "127.0.0.67";
    static final String KEPT = "127.0.0.77";
    static final String STALE = "127.0.0.99";
    static final String WHILE_HUNG = "127.0.0.88";
    static final String WHILE_FAILING = "127.0.0.89";
    static final String AFTER_RECOVERY = "127.0.0.91";
    static Path dir;
    static NetNamespace ns;
    static DaemonProcess daemon;
    static PostfixInstance postfix;
    static Path map;

    static String config(String nftCommand) {
        return """
                milter: {enabled: false}
                networks: {trusted: [127.0.0.2/32]}
                bans:
                  scanners: {enabled: false}
                  export:
                    cidr-map: %1$s/bans.cidr
                    min-interval: 0s
                    reload-command: [%1$s/reload-postfix]
                    command-timeout: 30s
                    nftables: {enabled: true, command: [%2$s], resync-interval: 10m}
                """.formatted(dir, nftCommand);
    }

    @BeforeAll
    static void start() throws Exception {
        Requirements.requireRoot();
        Requirements.require("postfix", "postfix");
        Requirements.require("swaks", "swaks");
        dir = Files.createTempDirectory("pw-firewall-it");
        ns = NetNamespace.start();
        // the test's hook: DIR/nft.mode says "hang" (until DIR/nft.release exists, at most 25 s, then fail) or
        // "fail"; otherwise the real nft runs inside the namespace
        ns.nftWrapper(dir.resolve("nft-in-ns"), """
                D=%1$s
                case "$(cat $D/nft.mode 2>/dev/null)" in
                  hang) touch $D/nft.hung; i=0
                        while [ ! -e $D/nft.release ] && [ $i -lt 250 ]; do sleep 0.1; i=$((i+1)); done
                        echo "nft: hung, then failed" >&2; exit 1;;
                  fail) echo "Error: Could not process rule: Operation not permitted" >&2; exit 1;;
                esac""".formatted(dir));
        Path reload = dir.resolve("reload-postfix");
        Files.writeString(reload, "#!/bin/sh\n[ -s " + dir + "/postfix.etc ] || exit 0\n"
                + "exec /usr/sbin/postfix -c \"$(cat " + dir + "/postfix.etc)\" reload\n");
        Files.setPosixFilePermissions(reload, PosixFilePermissions.fromString("rwxr-xr-x"));
        daemon = DaemonProcess.start(dir, config(dir.resolve("nft-in-ns").toString()));
        map = dir.resolve("bans.cidr");
        await(() -> Files.exists(map), "the cidr map written at start-up");
        postfix = PostfixInstance.builder()
                .postscreen(true)
                .mainCf("postscreen_access_list", "permit_mynetworks, cidr:" + map)
                .mainCf("postscreen_denylist_action", "drop")
                .mainCf("postscreen_greet_wait", "1s")
                .start();
        Files.writeString(dir.resolve("postfix.etc"), postfix.configDir().toString());
    }

    @AfterAll
    static void stop() throws Exception {
        if (postfix != null) {
            postfix.close();
        }
        if (daemon != null) {
            daemon.stop();
        }
        if (ns != null) {
            ns.close();
        }
    }

    static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + WAIT + ": " + what + "\nsets:\n" + sets()
                        + "\ndaemon log:\n" + (daemon == null ? "" : daemon.log()));
            }
            Thread.sleep(100);
        }
    }

    static String sets() {
        Exec.Result r = ns.nft("list", "table", "inet", "postwarden");
        return r.ok() ? r.output() : r.describe();
    }

    static String admin(String method, String path, String body) throws Exception {
        String token = Files.readString(dir.resolve("state/admin.token")).trim();
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + daemon.httpPort() + path))
                .header("Authorization", "Bearer " + token).timeout(Duration.ofSeconds(20));
        b = body == null ? b.method(method, HttpRequest.BodyPublishers.noBody())
                : b.header("Content-Type", "application/json")
                        .method(method, HttpRequest.BodyPublishers.ofString(body));
        HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return r.body();
    }

    static void ban(String cidr, String duration) throws Exception {
        admin("POST", "/admin/bans", JSON.writeValueAsString(Map.of("cidr", cidr, "duration", duration,
                "reason", "FirewallIT")));
    }

    static String mapText() {
        try {
            return Files.readString(map);
        } catch (IOException e) {
            return "";
        }
    }

    static long reloads() {
        return postfix.logLines(Pattern.compile("postfix/master\\[\\d+\\]: reload -- version")).size();
    }

    /** The policy server's action for a RCPT from {@code client} (asked directly, not through Postfix). */
    static String policy(String client) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", daemon.policyPort()), 2000);
            s.setSoTimeout(10_000);
            s.getOutputStream().write(("request=smtpd_access_policy\nprotocol_state=RCPT\nprotocol_name=ESMTP\n"
                    + "client_address=" + client + "\nclient_port=40000\nclient_name=unknown\n"
                    + "helo_name=mail.client.test\nsender=s@client.test\nrecipient=r@example.test\n"
                    + "instance=fw" + client + "\n\n").getBytes(StandardCharsets.US_ASCII));
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(),
                    StandardCharsets.US_ASCII));
            return in.readLine();
        }
    }

    static Swaks.Result viaPostscreen(String client) {
        return Swaks.to("someone@example.test").port(postfix.postscreenPort()).localInterface(client)
                .ehlo("mail.client.test").from("sender@client.test").timeout(Duration.ofSeconds(20)).send();
    }

    static int count(String text, String needle) {
        int n = 0;
        for (int i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + 1)) {
            n++;
        }
        return n;
    }

    @Test
    @Order(1)
    void aBanAppearsInTheSetsWithItsTimeoutAndPostscreenDropsTheHost() throws Exception {
        await(() -> sets().contains("set banned4") && sets().contains("set banned6"),
                "the table and both sets declared at start-up");
        long reloadsBefore = reloads();
        ban(BANNED, "1h");
        ban("2001:db8:66::7", "2h");
        await(() -> sets().contains(BANNED + " timeout 1h expires"), "the host in banned4 with a 1h timeout");
        await(() -> sets().contains("2001:db8:66::7 timeout 2h expires"),
                "the IPv6 host in banned6 with a 2h timeout");
        String set4 = ns.nft("list", "set", "inet", "postwarden", "banned4").requireOk().output();
        assertTrue(set4.contains("flags interval,timeout"), set4);
        assertFalse(set4.contains(NEIGHBOUR), set4);

        await(() -> mapText().contains(BANNED + "/32 REJECT"), "the cidr map");
        await(() -> reloads() > reloadsBefore, "postfix reloaded by reload-command");
        Swaks.Result banned = viaPostscreen(BANNED);
        assertFalse(banned.ok(), banned.toString());
        assertFalse(banned.rcptReplies().contains(250), banned.toString());
        assertTrue(banned.contains("521 5.3.2"), "postscreen_denylist_action = drop: " + banned);
        String line = postfix.awaitLog(Pattern.compile("postscreen\\[\\d+\\]: DENYLISTED \\[" + Pattern.quote(BANNED)
                + "\\]:\\d+"), WAIT);
        assertTrue(line.contains("DENYLISTED"), line);
        Swaks.Result neighbour = viaPostscreen(NEIGHBOUR);
        assertTrue(neighbour.ok(), neighbour.toString());
        assertTrue(postfix.logLines(Pattern.compile("DENYLISTED \\[" + Pattern.quote(NEIGHBOUR) + "\\]")).isEmpty());
    }

    @Test
    @Order(2)
    void anUnbanRemovesTheElementAndPostscreenLetsTheHostIn() throws Exception {
        long reloadsBefore = reloads();
        admin("DELETE", "/admin/bans?cidr=" + BANNED, null);
        await(() -> !sets().contains(BANNED), "the element removed from banned4");
        assertTrue(sets().contains("2001:db8:66::7"), "the other ban stays:\n" + sets());
        await(() -> !mapText().contains(BANNED), "the cidr map without it");
        await(() -> reloads() > reloadsBefore, "postfix reloaded");
        int denied = postfix.logLines(Pattern.compile("DENYLISTED \\[" + Pattern.quote(BANNED) + "\\]")).size();
        Swaks.Result again = viaPostscreen(BANNED);
        assertTrue(again.ok(), again.toString());
        assertEquals(denied, postfix.logLines(Pattern.compile("DENYLISTED \\[" + Pattern.quote(BANNED) + "\\]"))
                .size(), "not denylisted again");
    }

    @Test
    @Order(3)
    void aRestartReappliesWhatIsStillBannedAndDropsWhatIsNot() throws Exception {
        ban(KEPT, "1h");
        await(() -> sets().contains(KEPT + " timeout 1h"), "the new ban in banned4");
        assertEquals(0, daemon.stop());
        // what a reboot or a firewall reload does meanwhile: the set emptied, and an element nobody banned
        ns.nft("flush", "set", "inet", "postwarden", "banned4").requireOk();
        ns.nft("add", "element", "inet", "postwarden", "banned4", "{ " + STALE + " timeout 1h }").requireOk();
        assertFalse(sets().contains(KEPT), sets());
        daemon.restart();
        await(() -> sets().contains(KEPT + " timeout "), "re-applied at start-up");
        Matcher m = Pattern.compile(Pattern.quote(KEPT) + " timeout (\\d+)m(\\d+)s").matcher(sets());
        assertTrue(m.find(), "the remaining time as timeout, under an hour now:\n" + sets());
        assertFalse(sets().contains(STALE), "the set holds the bans, nothing else:\n" + sets());
        assertTrue(sets().contains("2001:db8:66::7 timeout "), sets());
    }

    @Test
    @Order(4)
    void aHungOrFailingNftIsLoggedOnceAndHoldsUpNeitherDecisionsNorTheMap() throws Exception {
        int warnsBefore = count(daemon.log(), "nftables export failed");
        Files.writeString(dir.resolve("nft.mode"), "hang");
        ban(WHILE_HUNG, "1h");
        await(() -> Files.exists(dir.resolve("nft.hung")), "nft started and hangs");
        // while nft hangs: the map is written and the policy server refuses the banned host
        await(() -> mapText().contains(WHILE_HUNG + "/32 REJECT"), "the cidr map while nft hangs");
        String action = policy(WHILE_HUNG);
        assertTrue(action.startsWith("action=550") && action.contains("banned"), action);
        assertTrue(Files.exists(dir.resolve("nft.hung")) && !Files.exists(dir.resolve("nft.release")));
        assertFalse(sets().contains(WHILE_HUNG), "not in the set yet");

        Files.writeString(dir.resolve("nft.mode"), "fail");
        Files.writeString(dir.resolve("nft.release"), "");
        await(() -> count(daemon.log(), "nftables export failed") == warnsBefore + 1, "the failure logged");
        double errors = daemon.metric("postwarden_ban_exports_total", "target=\"nftables\"", "result=\"error\"");
        ban(WHILE_FAILING, "1h");
        await(() -> metric("postwarden_ban_exports_total", "target=\"nftables\"", "result=\"error\"") > errors,
                "the next batch tried at once, and failed");
        assertEquals(1.0, daemon.metric("postwarden_ban_export_failing", "target=\"nftables\""));
        assertEquals(warnsBefore + 1, count(daemon.log(), "nftables export failed"), "logged once, not per try");
        assertTrue(policy(WHILE_FAILING).contains("banned"));

        Files.delete(dir.resolve("nft.mode"));
        // the next change of the bans is tried at once (without one, the retry comes within 30 s: unit-tested)
        ban(AFTER_RECOVERY, "1h");
        await(() -> sets().contains(WHILE_HUNG + " timeout") && sets().contains(WHILE_FAILING + " timeout")
                && sets().contains(AFTER_RECOVERY + " timeout"), "every ban in the set once nft works");
        await(() -> daemon.log().contains("nftables export works again"), "the recovery logged");
        assertEquals(0.0, daemon.metric("postwarden_ban_export_failing", "target=\"nftables\""));
    }

    @Test
    @Order(5)
    void aMissingNftIsLoggedOnceAndNeverBlocksDecisions() throws Exception {
        int warnsBefore = count(daemon.log(), "nftables export failed");
        Path missing = dir.resolve("no-such-nft");
        String current = Files.readString(daemon.config());
        Files.writeString(daemon.config(), current.substring(0, current.indexOf("milter:"))
                + config(missing.toString()));
        Exec.Result hup = Exec.run(Duration.ofSeconds(10), "kill", "-HUP", Long.toString(daemon.pid()));
        assertTrue(hup.ok(), hup.describe());
        // the reload changes the nft command: the exporter tries the new one at once
        await(() -> count(daemon.log(), "nftables export failed") == warnsBefore + 1, "the missing nft logged");
        assertTrue(daemon.log().contains(missing.toString()), "the log names the command");
        ban("127.0.0.90", "1h");
        await(() -> mapText().contains("127.0.0.90/32"), "the map still follows the bans");
        assertTrue(policy("127.0.0.90").contains("banned"));
        assertEquals(warnsBefore + 1, count(daemon.log(), "nftables export failed"), "logged once");
    }

    static double metric(String name, String... labels) {
        try {
            return daemon.metric(name, labels);
        } catch (IOException e) {
            return -1;
        }
    }
}
