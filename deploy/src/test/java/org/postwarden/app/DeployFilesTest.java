package org.postwarden.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postwarden.config.load.ConfigLoader;
import org.postwarden.it.harness.Exec;
import org.postwarden.it.harness.Requirements;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The files in {@code deploy/} and {@code docs/metrics.md} are checked with the tools that consume them: promtool
 * (rules, rule unit tests, scrape config), systemd-analyze (units, exposure), postconf (Postfix snippets), the
 * config loader (example configs), and against the metric names registered in the code. A missing tool skips its
 * test loudly, or fails it when CI=true.
 */
public class DeployFilesTest {
    static final Path DEPLOY = Path.of("").toAbsolutePath();
    static final Path ROOT = DEPLOY.getParent();
    static final ObjectMapper JSON = new ObjectMapper();
    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    /** Names of other exporters the alerts and dashboard may use. */
    static final Set<String> EXTERNAL = Set.of("up", "postfix_showq_message_size_bytes_count");

    @TempDir
    Path tmp;

    static Exec.Result run(Path cwd, String... cmd) {
        List<String> argv = new ArrayList<>(List.of("sh", "-c", "cd \"$0\" && exec \"$@\"", cwd.toString()));
        argv.addAll(List.of(cmd));
        return Exec.run(Duration.ofSeconds(60), argv);
    }

    // ---- metric names -------------------------------------------------------------------------------------------

    /** Metric names listed in docs/metrics.md (first column of its tables). */
    public static Set<String> documented() throws IOException {
        Set<String> names = new TreeSet<>();
        Matcher m = Pattern.compile("(?m)^\\| `(postwarden_[a-z0-9_]+)` \\| (counter|gauge|histogram) \\|")
                .matcher(Files.readString(ROOT.resolve("docs/metrics.md")));
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }

    /** Meter names registered in the main sources of every module, e.g. "postwarden.decisions". */
    static Set<String> registered() throws IOException {
        Pattern p = Pattern.compile("(?:builder|gauge|counter|latency)\\(\\s*\"(postwarden(?:\\.[a-z0-9]+)+)\"");
        Set<String> names = new TreeSet<>();
        try (Stream<Path> files = Files.walk(ROOT)) {
            for (Path f : files.filter(x -> x.toString().endsWith(".java") && x.toString().contains("/src/main/")
                    && !x.toString().contains("/target/")).toList()) {
                Matcher m = p.matcher(Files.readString(f));
                while (m.find()) {
                    names.add(m.group(1));
                }
            }
        }
        return names;
    }

    /** The Prometheus name of a documented metric that a Micrometer name maps to, or null. */
    static String prometheusName(String meter, Set<String> documented) {
        String base = meter.replace('.', '_');
        for (String suffix : List.of("", "_total", "_seconds")) {
            if (documented.contains(base + suffix)) {
                return base + suffix;
            }
        }
        return null;
    }

    @Test
    void everyMetricInTheCodeIsDocumentedAndEveryDocumentedOneExists() throws IOException {
        Set<String> documented = documented();
        Set<String> registered = registered();
        assertTrue(registered.size() >= 30, "found the registrations: " + registered);
        Set<String> mapped = new HashSet<>();
        List<String> missing = new ArrayList<>();
        for (String meter : registered) {
            String name = prometheusName(meter, documented);
            if (name == null) {
                missing.add(meter);
            } else {
                mapped.add(name);
            }
        }
        assertEquals(List.of(), missing, "registered in the code but not in docs/metrics.md");
        Set<String> stale = new TreeSet<>(documented);
        stale.removeAll(mapped);
        assertEquals(Set.of(), stale, "listed in docs/metrics.md but registered nowhere");
    }

    /** Metric names a PromQL expression uses (identifiers followed by a selector, range or operator). */
    static Set<String> metricsIn(String expr) {
        Set<String> out = new TreeSet<>();
        Matcher m = Pattern.compile("\\b((?:postwarden|postfix)_[a-z0-9_]+|up)\\b(?!\\s*\\()").matcher(expr);
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }

    static void assertKnown(Set<String> used, Set<String> documented, String where) {
        for (String name : used) {
            String base = name.replaceFirst("_(bucket|count|sum|max)$", "");
            assertTrue(EXTERNAL.contains(name) || documented.contains(name) || documented.contains(base),
                    where + " uses " + name + ", which docs/metrics.md does not list");
        }
    }

    @Test
    void everyDashboardExpressionUsesAnExistingMetric() throws IOException {
        JsonNode dash = JSON.readTree(DEPLOY.resolve("grafana/postwarden-dashboard.json").toFile());
        assertEquals("postwarden", dash.path("uid").asText());
        Set<String> documented = documented();
        Set<Integer> ids = new HashSet<>();
        int exprs = 0;
        Set<String> used = new TreeSet<>();
        for (JsonNode p : dash.path("panels")) {
            assertTrue(ids.add(p.path("id").asInt()), "panel ids are unique: " + p.path("id"));
            if (p.path("type").asText().equals("row")) {
                continue;
            }
            assertFalse(p.path("targets").isEmpty(), "panel " + p.path("title") + " has a query");
            for (JsonNode t : p.path("targets")) {
                String expr = t.path("expr").asText();
                Set<String> names = metricsIn(expr);
                assertFalse(names.isEmpty(), "panel " + p.path("title") + ": " + expr);
                assertKnown(names, documented, "panel " + p.path("title"));
                used.addAll(names);
                exprs++;
            }
        }
        assertTrue(exprs >= 20, "dashboard queries: " + exprs);
        for (String key : List.of("postwarden_decisions_total", "postwarden_decision_seconds_bucket",
                "postwarden_bans_active", "postwarden_dnsbl_zone_failing", "postwarden_fallbacks_total")) {
            assertTrue(used.contains(key), "the dashboard shows " + key);
        }
    }

    @Test
    void alertRulesPassPromtoolAndTheirUnitTests() throws IOException {
        Requirements.require("promtool", "prometheus");
        Path dir = DEPLOY.resolve("prometheus");
        Exec.Result check = run(dir, "promtool", "check", "rules", "alerts.yml");
        assertTrue(check.ok(), check.describe());
        Exec.Result test = run(dir, "promtool", "test", "rules", "alerts.test.yml");
        assertTrue(test.ok(), test.describe());
        Exec.Result config = run(dir, "promtool", "check", "config", "prometheus.yml");
        assertTrue(config.ok(), config.describe());

        JsonNode rules = YAML.readTree(dir.resolve("alerts.yml").toFile());
        Set<String> alerts = new TreeSet<>();
        Set<String> documented = documented();
        for (JsonNode g : rules.path("groups")) {
            for (JsonNode r : g.path("rules")) {
                alerts.add(r.path("alert").asText());
                assertKnown(metricsIn(r.path("expr").asText()), documented, "alert " + r.path("alert").asText());
                assertFalse(r.path("annotations").path("summary").asText().isBlank(), r.toString());
            }
        }
        for (String a : List.of("PostwardenDown", "PostwardenOwnIpListed", "PostfixQueueGrowing",
                "PostwardenOutboundHold", "PostwardenBanSpike", "PostwardenDnsblZoneFailing",
                "PostwardenPolicyLatencyHigh")) {
            assertTrue(alerts.contains(a), "alert " + a + " in " + alerts);
        }
    }

    @Test
    void systemdUnitsVerifyAndTheServiceIsHardened() throws IOException {
        Requirements.require("systemd-analyze", "systemd");
        String unit = Files.readString(DEPLOY.resolve("systemd/postwarden.service"));
        for (String must : List.of("NoNewPrivileges=yes", "ProtectSystem=strict", "DynamicUser=yes",
                "CapabilityBoundingSet=\n", "StateDirectory=postwarden", "ExecReload=/bin/kill -HUP $MAINPID",
                "RestrictAddressFamilies=", "SystemCallFilter=@system-service", "PrivateTmp=yes", "ProtectHome=yes")) {
            assertTrue(unit.contains(must), "postwarden.service has " + must.strip());
        }
        // verify needs ExecStart to exist: point it at this checkout's launcher instead of the install path
        Path bin = DEPLOY.resolve("bin/postwarden");
        Files.writeString(tmp.resolve("postwarden.service"),
                unit.replace("/usr/local/bin/postwarden", bin.toString()));
        Files.copy(DEPLOY.resolve("systemd/postwarden-bans.path"), tmp.resolve("postwarden-bans.path"));
        Files.copy(DEPLOY.resolve("systemd/postwarden-bans.service"), tmp.resolve("postwarden-bans.service"));
        for (String u : List.of("postwarden.service", "postwarden-bans.path", "postwarden-bans.service")) {
            Exec.Result r = run(tmp, "systemd-analyze", "verify", tmp.resolve(u).toString());
            assertTrue(r.ok() && r.output().isBlank(), "verify " + u + " without a warning: " + r.describe());
        }
        Exec.Result sec = run(tmp, "systemd-analyze", "security", "--offline=true", "--threshold=20",
                tmp.resolve("postwarden.service").toString());
        assertTrue(sec.ok(), "exposure level at most 2.0 (\"OK\"): " + sec.describe());

        // the queue-actions drop-in, verified merged into the unit as installed: X.service + X.service.d/*.conf
        // (in a directory of its own, so that the exposure check above stays about the unit alone)
        String dropIn = Files.readString(DEPLOY.resolve("systemd/postwarden-queue-actions.conf"));
        for (String must : List.of("DynamicUser=no\n", "NoNewPrivileges=no\n", "RestrictSUIDSGID=no\n",
                "SystemCallFilter=\n", "RestrictAddressFamilies=\n", "PrivateDevices=no\n",
                "CapabilityBoundingSet=CAP_SETUID CAP_SETGID CAP_AUDIT_WRITE\n",
                "ReadWritePaths=/var/spool/postfix\n")) {
            assertTrue(dropIn.contains(must), "postwarden-queue-actions.conf has " + must.strip());
        }
        Path withDropIn = tmp.resolve("queue-actions");
        Files.createDirectories(withDropIn.resolve("postwarden.service.d"));
        Files.copy(tmp.resolve("postwarden.service"), withDropIn.resolve("postwarden.service"));
        Files.writeString(withDropIn.resolve("postwarden.service.d/queue-actions.conf"), dropIn);
        Exec.Result merged = run(withDropIn, "systemd-analyze", "verify",
                withDropIn.resolve("postwarden.service").toString());
        assertTrue(merged.ok() && merged.output().isBlank(),
                "verify postwarden.service with queue-actions.conf without a warning: " + merged.describe());

        // the nftables drop-in, likewise
        String nft = Files.readString(DEPLOY.resolve("systemd/postwarden-nftables.conf"));
        for (String must : List.of("CapabilityBoundingSet=CAP_NET_ADMIN\n", "AmbientCapabilities=CAP_NET_ADMIN\n",
                "RestrictAddressFamilies=AF_NETLINK\n")) {
            assertTrue(nft.contains(must), "postwarden-nftables.conf has " + must.strip());
        }
        Path withNft = tmp.resolve("nftables");
        Files.createDirectories(withNft.resolve("postwarden.service.d"));
        Files.copy(tmp.resolve("postwarden.service"), withNft.resolve("postwarden.service"));
        Files.writeString(withNft.resolve("postwarden.service.d/nftables.conf"), nft);
        Exec.Result mergedNft = run(withNft, "systemd-analyze", "verify", withNft.resolve("postwarden.service")
                .toString());
        assertTrue(mergedNft.ok() && mergedNft.output().isBlank(),
                "verify postwarden.service with nftables.conf without a warning: " + mergedNft.describe());
    }

    @Test
    void queueActionsSudoersAllowsExactlyTheQueueCommands() throws IOException {
        String sudoers = Files.readString(DEPLOY.resolve("systemd/postwarden-queue-actions.sudoers"));
        StringBuilder rules = new StringBuilder();
        for (String l : sudoers.split("\n")) {
            if (!l.isBlank() && !l.startsWith("#")) {
                rules.append(l.strip()).append('\n');
            }
        }
        // what QueueCommands runs: postsuper-command + {-h,-H,-d} + "-", and list-command as configured
        assertEquals("""
                Cmnd_Alias POSTWARDEN_POSTSUPER = /usr/sbin/postsuper -h -, /usr/sbin/postsuper -H -, \
                /usr/sbin/postsuper -d -
                Cmnd_Alias POSTWARDEN_LIST = /usr/sbin/postqueue -j
                postwarden ALL = (root) NOPASSWD: POSTWARDEN_POSTSUPER, POSTWARDEN_LIST
                Defaults:postwarden !requiretty
                Defaults!POSTWARDEN_LIST !log_allowed, !pam_session
                """, rules.toString());
        for (String setting : List.of("postsuper-command: [/usr/bin/sudo, -n, /usr/sbin/postsuper]",
                "list-command: [/usr/bin/sudo, -n, /usr/sbin/postqueue, -j]")) {
            assertTrue(sudoers.contains(setting), "the sudoers file names the setting " + setting);
        }
    }

    @Test
    void postfixSnippetsParseAndWireThePolicyCheckSafely() throws IOException {
        Requirements.require("postconf", "postfix");
        Path pf = tmp.resolve("pf");
        Files.createDirectories(pf);
        Files.copy(DEPLOY.resolve("postfix/main.cf.snippet"), pf.resolve("main.cf"));
        // the commented submission examples are part of what is checked
        String master = Files.readString(DEPLOY.resolve("postfix/master.cf.snippet"))
                .replaceAll("(?m)^#(submissions? |  -o )", "$1");
        Files.writeString(pf.resolve("master.cf"), master);
        Exec.Result n = Exec.run(Duration.ofSeconds(30), "postconf", "-c", pf.toString(), "-n");
        assertTrue(n.ok() && !n.output().contains("warning"), n.describe());
        String relay = line(n.output(), "smtpd_relay_restrictions");
        assertTrue(relay.contains("check_policy_service { inet:127.0.0.1:10033, timeout=10s, default_action=DUNNO }"),
                relay);
        assertTrue(relay.indexOf("check_policy_service") < relay.indexOf("reject_unauth_destination"), relay);
        assertTrue(relay.indexOf("check_policy_service") < relay.indexOf("permit_mynetworks"), relay);
        assertTrue(line(n.output(), "smtpd_end_of_data_restrictions").contains("default_action=DUNNO"));
        assertEquals("milter_default_action = accept", line(n.output(), "milter_default_action"));
        assertTrue(line(n.output(), "smtpd_milters").contains("inet:127.0.0.1:10034"));
        assertTrue(line(n.output(), "postscreen_access_list").contains("cidr:/var/lib/postwarden/bans.cidr"));
        Exec.Result m = Exec.run(Duration.ofSeconds(30), "postconf", "-c", pf.toString(), "-M");
        assertTrue(m.ok() && !m.output().contains("warning"), m.describe());
        assertTrue(m.output().matches("(?s).*smtp\\s+inet\\s.*postscreen.*"), m.output());
        Exec.Result p = Exec.run(Duration.ofSeconds(30), "postconf", "-c", pf.toString(), "-P");
        assertTrue(p.output().contains("submission/inet/smtpd_relay_restrictions = check_policy_service"
                + " { inet:127.0.0.1:10033, timeout=10s, default_action=DUNNO }"), p.describe());
        assertTrue(p.output().contains("submission/inet/milter_macro_daemon_name = ORIGINATING")
                && p.output().contains("submissions/inet/milter_macro_daemon_name = ORIGINATING"),
                "submission services Postwarden recognises by their milter daemon name: " + p.describe());

        Path dms = tmp.resolve("dms");
        Files.createDirectories(dms);
        Files.copy(DEPLOY.resolve("docker-mailserver/postfix-main.cf"), dms.resolve("main.cf"));
        Files.writeString(dms.resolve("master.cf"), "");
        Exec.Result d = Exec.run(Duration.ofSeconds(30), "postconf", "-c", dms.toString(), "-n");
        assertTrue(d.ok() && !d.output().contains("warning"), d.describe());
        String dmsRelay = line(d.output(), "smtpd_relay_restrictions");
        assertTrue(dmsRelay.startsWith("smtpd_relay_restrictions = check_policy_service { inet:127.0.0.1:10033,"
                + " timeout=10s, default_action=DUNNO }"), dmsRelay);
    }

    static String line(String postconf, String name) {
        for (String l : postconf.split("\n")) {
            if (l.startsWith(name + " =")) {
                return l.strip();
            }
        }
        return "";
    }

    @Test
    void exampleConfigsAndTheComposeFileAreValid() throws Exception {
        ConfigLoader.load(DEPLOY.resolve("systemd/postwarden.yaml"));
        ConfigLoader.load(DEPLOY.resolve("docker-mailserver/postwarden.yaml"));
        JsonNode compose = YAML.readTree(DEPLOY.resolve("docker-mailserver/compose.yaml").toFile());
        JsonNode pw = compose.path("services").path("postwarden");
        assertEquals("service:mailserver", pw.path("network_mode").asText());
        assertTrue(pw.path("read_only").asBoolean());
        assertEquals("ALL", pw.path("cap_drop").get(0).asText());
        assertTrue(pw.path("security_opt").toString().contains("no-new-privileges:true"));
        assertTrue(pw.path("volumes").toString().contains("/var/log/mail/:ro"), "the ingester reads the mail log");
        assertTrue(compose.path("services").path("mailserver").path("ports").toString()
                .contains("127.0.0.1:10035:10035"), "metrics published on loopback only");
    }
}
