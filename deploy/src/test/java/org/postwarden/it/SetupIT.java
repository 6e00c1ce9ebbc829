package org.postwarden.it;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postwarden.it.harness.Exec;
import org.postwarden.it.harness.PostfixInstance;
import org.postwarden.it.harness.Ports;
import org.postwarden.it.harness.Requirements;
import org.postwarden.it.harness.SinkMessage;
import org.postwarden.it.harness.Swaks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code postwarden setup postfix} against a real throwaway Postfix that already has a milter of its own, and
 * {@code postwarden setup dovecot} against a throwaway Dovecot config directory read by the real doveconf: dry run
 * changes nothing, the change is what postconf/doveconf read afterwards, mail flows through the policy service and
 * the milter, a second run changes nothing, {@code --undo} restores main.cf byte for byte (removes the conf.d file),
 * and a layout setup does not understand is refused with main.cf untouched.
 */
class SetupIT {
    static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path tmp;

    static Exec.Result postwarden(String... args) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", System.getProperty("postwarden.jar", "target/postwarden.jar")));
        cmd.addAll(Arrays.asList(args));
        Exec.Result r = Exec.run(Duration.ofMinutes(2), cmd);
        System.out.println(r.describe());
        return r;
    }

    @Test
    void postfixWiredMailFlowsUndoRestoresByteForByte() throws Exception {
        Requirements.requireRoot();
        Requirements.require("postconf", "postfix");
        Requirements.require("swaks", "swaks");
        try (DaemonProcess daemon = DaemonProcess.start(tmp.resolve("d"), "")) {
            Path bans = tmp.resolve("bans.cidr");
            Files.writeString(bans, "");
            Path cfg = tmp.resolve("setup.yaml");
            Files.writeString(cfg, "policy: {listen: 127.0.0.1:" + daemon.policyPort() + "}\n"
                    + "milter: {listen: 127.0.0.1:" + daemon.milterPort() + "}\n"
                    + "bans: {export: {cidr-map: " + bans + "}}\n");
            int otherMilter = Ports.closedPort();
            try (PostfixInstance pf = PostfixInstance.builder()
                    .mainCf("smtpd_milters", "inet:127.0.0.1:" + otherMilter)
                    .mainCf("milter_default_action", "accept")
                    .start()) {
                Path mainCf = pf.configDir().resolve("main.cf");
                byte[] before = Files.readAllBytes(mainCf);
                String relayBefore = pf.postconf("-h", "smtpd_relay_restrictions").strip();
                String dir = pf.configDir().toString();

                Exec.Result dry = postwarden("setup", "postfix", "--config-dir", dir, "--config", cfg.toString(),
                        "--dry-run");
                assertTrue(dry.ok(), dry.describe());
                assertTrue(dry.output().contains("+ smtpd_relay_restrictions = check_policy_service { inet:127.0.0.1:"
                        + daemon.policyPort() + ", timeout=10s, default_action=DUNNO }, " + relayBefore),
                        dry.output());
                assertArrayEquals(before, Files.readAllBytes(mainCf), "dry run changed main.cf");

                Exec.Result set = postwarden("setup", "postfix", "--config-dir", dir, "--config", cfg.toString());
                assertTrue(set.ok(), set.describe());
                assertArrayEquals(before, Files.readAllBytes(pf.configDir().resolve("main.cf.postwarden-backup")));
                String policy = "check_policy_service { inet:127.0.0.1:" + daemon.policyPort()
                        + ", timeout=10s, default_action=DUNNO }";
                assertEquals(policy + ", " + relayBefore, pf.postconf("-h", "smtpd_relay_restrictions").strip());
                assertTrue(pf.postconf("-h", "smtpd_end_of_data_restrictions").strip().startsWith(policy));
                assertEquals("inet:127.0.0.1:" + otherMilter + ", { inet:127.0.0.1:" + daemon.milterPort()
                        + ", connect_timeout=5s, command_timeout=10s, content_timeout=30s, default_action=accept }",
                        pf.postconf("-h", "smtpd_milters").strip());
                assertTrue(pf.postconf("-h", "postscreen_access_list").contains("cidr:" + bans));
                assertEquals("accept", pf.postconf("-h", "milter_default_action").strip(), "other milters' default");

                pf.reload();
                double policyBefore = daemon.metric("postwarden_decisions_total", "source=\"policy\"");
                double milterBefore = daemon.metric("postwarden_milter_sessions_total");
                Swaks.Result r = Swaks.to("user@" + PostfixInstance.RELAY_DOMAIN).from("alice@client.test")
                        .port(pf.smtpdPort()).localInterface("127.0.0.1").ehlo("client.test").send();
                assertTrue(r.ok(), r::toString);
                List<SinkMessage> delivered = pf.awaitDelivered(1, WAIT);
                assertEquals(List.of("user@" + PostfixInstance.RELAY_DOMAIN), delivered.get(0).recipients());
                assertTrue(daemon.metric("postwarden_decisions_total", "source=\"policy\"") > policyBefore,
                        "the policy service was not asked");
                assertTrue(daemon.metric("postwarden_milter_sessions_total") > milterBefore, "the milter was not asked");

                byte[] wired = Files.readAllBytes(mainCf);
                Exec.Result again = postwarden("setup", "postfix", "--config-dir", dir, "--config", cfg.toString());
                assertTrue(again.ok() && again.output().contains("already wired"), again.describe());
                assertArrayEquals(wired, Files.readAllBytes(mainCf));

                Exec.Result undo = postwarden("setup", "postfix", "--config-dir", dir, "--undo");
                assertTrue(undo.ok(), undo.describe());
                assertArrayEquals(before, Files.readAllBytes(mainCf), "--undo did not restore main.cf byte for byte");
                assertFalse(Files.exists(pf.configDir().resolve("main.cf.postwarden-backup")));
                assertEquals(relayBefore, pf.postconf("-h", "smtpd_relay_restrictions").strip());
            }
        }
    }

    @Test
    void postfixLayoutNotUnderstoodIsRefusedUntouched() throws Exception {
        Requirements.requireRoot();
        Requirements.require("postconf", "postfix");
        try (PostfixInstance pf = PostfixInstance.builder()
                .mainCf("smtpd_relay_restrictions", "permit_mynetworks, permit_sasl_authenticated")
                .mainCf("smtpd_recipient_restrictions", "permit_mynetworks, reject_unauth_destination")
                .start()) {
            Path mainCf = pf.configDir().resolve("main.cf");
            byte[] before = Files.readAllBytes(mainCf);
            Exec.Result r = postwarden("setup", "postfix", "--config-dir", pf.configDir().toString());
            assertEquals(1, r.exitCode(), r.describe());
            assertTrue(r.output().contains("has neither reject_unauth_destination nor defer_unauth_destination"),
                    r.output());
            assertArrayEquals(before, Files.readAllBytes(mainCf));
            assertFalse(Files.exists(pf.configDir().resolve("main.cf.postwarden-backup")));
        }
    }

    @Test
    void dovecotFileWrittenCheckedAndUndone() throws IOException {
        Requirements.require("doveconf", "dovecot-core");
        Path dir = tmp.resolve("dovecot");
        Files.createDirectories(dir.resolve("conf.d"));
        Files.writeString(dir.resolve("dovecot.conf"), "protocols =\nbase_dir = " + dir + "/run\nssl = no\n"
                + "!include conf.d/*.conf\n");
        Files.writeString(dir.resolve("conf.d/10-auth.conf"), "auth_mechanisms = plain\n");
        String conf = dir.resolve("dovecot.conf").toString();
        String doveconf = Requirements.which("doveconf").orElseThrow().toString();
        String before = Exec.run(WAIT, doveconf, "-c", conf, "-n").requireOk().output();
        Path cfg = tmp.resolve("auth.yaml");
        Files.writeString(cfg, "auth-policy: {enabled: true, listen: 127.0.0.1:10936}\n");
        Path file = dir.resolve("conf.d/95-postwarden-auth-policy.conf");

        Path offCfg = tmp.resolve("off.yaml");
        Files.writeString(offCfg, "auth-policy: {enabled: false}\n");
        Exec.Result off = postwarden("setup", "dovecot", "--config-dir", dir.toString(), "--config", offCfg.toString());
        assertEquals(1, off.exitCode(), off.describe());
        assertTrue(off.output().contains("auth-policy.enabled is false"), off.output());
        assertFalse(Files.exists(file));

        Exec.Result dry = postwarden("setup", "dovecot", "--config-dir", dir.toString(), "--config", cfg.toString(),
                "--dry-run");
        assertTrue(dry.ok() && dry.output().contains("+ auth_policy_server_url = http://127.0.0.1:10936/"),
                dry.describe());
        assertFalse(Files.exists(file), "dry run wrote the file");

        Exec.Result set = postwarden("setup", "dovecot", "--config-dir", dir.toString(), "--config", cfg.toString());
        assertTrue(set.ok(), set.describe());
        assertEquals("http://127.0.0.1:10936/", Exec.run(WAIT, doveconf, "-c", conf, "-h", "auth_policy_server_url")
                .requireOk().output().strip());
        String nonce = Exec.run(WAIT, doveconf, "-c", conf, "-h", "auth_policy_hash_nonce").requireOk().output().strip();
        assertTrue(nonce.matches("[0-9a-f]{32}"), nonce);
        assertEquals("yes", Exec.run(WAIT, doveconf, "-c", conf, "-h", "auth_policy_check_before_auth")
                .requireOk().output().strip());
        assertEquals("rw-r-----", java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(file)));

        Exec.Result undo = postwarden("setup", "dovecot", "--config-dir", dir.toString(), "--undo");
        assertTrue(undo.ok(), undo.describe());
        assertFalse(Files.exists(file));
        assertEquals(before, Exec.run(WAIT, doveconf, "-c", conf, "-n").requireOk().output());

        // Dovecot's settings outside the conf.d layout: refused, nothing written
        Files.writeString(dir.resolve("dovecot.conf"), "protocols =\nbase_dir = " + dir + "/run\nssl = no\n");
        Exec.Result refused = postwarden("setup", "dovecot", "--config-dir", dir.toString(), "--config",
                cfg.toString());
        assertEquals(1, refused.exitCode(), refused.describe());
        assertTrue(refused.output().contains("does not include conf.d/*.conf"), refused.output());
        assertFalse(Files.exists(file));
    }
}
