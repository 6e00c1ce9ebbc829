package org.postwarden.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.postwarden.it.harness.Exec;
import org.postwarden.it.harness.Requirements;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Debian package the build made (deploy/target/postwarden_*_amd64.deb) on this machine: lintian has no errors;
 * {@code apt-get install ./….deb} creates the user and the state directory; {@code postwarden check-config} of the
 * conffile passes with no JDK on the PATH (the package's own runtime runs it, and holds every module jdeps lists);
 * the daemon runs as the package's user with the unit's {@code ExecStart}, working directory and no new privileges
 * (systemd is not PID 1 here: setpriv does what the unit's User= and NoNewPrivileges= do) and answers a policy
 * request and {@code postwarden ctl status}; a reinstall (the upgrade path of the maintainer scripts) keeps the
 * edited conffile and the state; purge leaves no file behind. The system user stays, as Debian packages keep theirs.
 */
class PackageIT {
    static final Duration APT = Duration.ofMinutes(5);
    /** The unit's enablement (deb-systemd-helper works without a running systemd). */
    static final Path WANTS = Path.of("/etc/systemd/system/multi-user.target.wants/postwarden.service");
    static final List<Path> PACKAGE_PATHS = List.of(Path.of("/usr/share/postwarden"), Path.of("/usr/lib/postwarden"),
            Path.of("/usr/bin/postwarden"), Path.of("/lib/systemd/system/postwarden.service"),
            Path.of("/etc/postwarden"), Path.of("/var/lib/postwarden"), Path.of("/usr/share/doc/postwarden"),
            Path.of("/usr/share/lintian/overrides/postwarden"), WANTS);
    static final Pattern EXEC_START = Pattern.compile("(?m)^ExecStart=(.+)$");

    @AfterAll
    static void purgeLeftover() {
        if (installed()) {
            apt("purge", "-y", "postwarden");
        }
    }

    @Test
    void installRunUpgradePurge() throws Exception {
        Requirements.requireRoot();
        Requirements.require("apt-get", "apt");
        Requirements.require("lintian", "lintian");
        Requirements.require("setpriv", "util-linux");
        Requirements.require("systemd-analyze", "systemd");
        Path deb = deb();
        if (installed()) {
            apt("purge", "-y", "postwarden").requireOk(); // a leftover of an interrupted run
        }

        Exec.Result lint = Exec.run(Duration.ofMinutes(3), "lintian", "--fail-on", "error", deb.toString());
        System.out.println("lintian " + deb.getFileName() + ":\n" + lint.output());
        assertTrue(lint.ok(), "lintian reports errors:\n" + lint.describe());

        apt("install", "-y", "--no-install-recommends", deb.toString()).requireOk();
        assertTrue(installed());
        for (Path p : List.of(Path.of("/usr/share/postwarden/postwarden.jar"), Path.of("/usr/bin/postwarden"),
                Path.of("/usr/lib/postwarden/runtime/bin/java"), Path.of("/etc/postwarden/postwarden.yaml"),
                Path.of("/lib/systemd/system/postwarden.service"))) {
            assertTrue(Files.exists(p), p + " missing after install");
        }
        assertEquals("/etc/postwarden/postwarden.yaml", Exec.run(Duration.ofSeconds(30), "dpkg-query", "-W",
                "-f=${Conffiles}", "postwarden").requireOk().output().strip().split("\\s+")[0]);
        assertTrue(Exec.run(Duration.ofSeconds(30), "getent", "passwd", "postwarden").ok(), "no user postwarden");
        assertTrue(Files.isSymbolicLink(WANTS), "unit not enabled on install");
        Path state = Path.of("/var/lib/postwarden");
        assertEquals("postwarden", Files.getOwner(state).getName());
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(state)));

        // the runtime holds every module the jar needs (jdeps of this build's JDK on the installed jar)
        String jdeps = Path.of(System.getProperty("java.home"), "bin", "jdeps").toString();
        String needed = Exec.run(Duration.ofMinutes(3), jdeps, "--ignore-missing-deps", "--print-module-deps",
                "--multi-release", "21", "/usr/share/postwarden/postwarden.jar").requireOk().output().strip();
        String modules = clean("/usr/lib/postwarden/runtime/bin/java", "--list-modules").requireOk().output();
        for (String m : needed.lines().reduce((a, b) -> b).orElse("").split(",")) {
            assertTrue(modules.contains(m.strip() + "@"), "runtime lacks module " + m + " that jdeps lists:\n"
                    + modules);
        }

        // check-config with no JDK on the PATH and no JAVA_HOME
        Exec.Result check = clean("postwarden", "check-config", "/etc/postwarden/postwarden.yaml");
        assertTrue(check.ok() && check.output().contains("/etc/postwarden/postwarden.yaml: OK"), check.describe());

        // an admin's edit of the conffile: every listener on port 0 (a test never binds a port picked in advance)
        Path conf = Path.of("/etc/postwarden/postwarden.yaml");
        String original = Files.readString(conf);
        String edited = original.replaceAll("(?m)^(  listen: )127\\.0\\.0\\.1:100\\d\\d", "$1127.0.0.1:0");
        assertFalse(edited.equals(original));
        Files.writeString(conf, edited);

        String unit = Files.readString(Path.of("/lib/systemd/system/postwarden.service"));
        Exec.Result verify = Exec.run(Duration.ofMinutes(1), "systemd-analyze", "verify",
                "/lib/systemd/system/postwarden.service");
        assertTrue(verify.ok() && verify.output().isBlank(), "packaged unit: " + verify.describe());
        Exec.Result sec = Exec.run(Duration.ofMinutes(1), "systemd-analyze", "security", "--offline=true",
                "--threshold=20", "/lib/systemd/system/postwarden.service");
        assertTrue(sec.ok(), "packaged unit's exposure at most 2.0: " + sec.describe());
        Matcher exec = EXEC_START.matcher(unit);
        assertTrue(exec.find(), "no ExecStart in the unit");
        assertTrue(unit.contains("\nUser=postwarden\n") && unit.contains("\nWorkingDirectory=/var/lib/postwarden\n"),
                unit);
        Path log = Files.createTempFile("postwarden-package-", ".log");
        try {
            runDaemon(exec.group(1), log);
        } finally {
            Files.deleteIfExists(log);
        }
        assertTrue(Files.exists(state.resolve("postwarden.snapshot")), "no snapshot written on SIGTERM");
        assertTrue(Files.exists(state.resolve("admin.token")), "no admin token");
        String uid = Exec.run(Duration.ofSeconds(30), "id", "-u", "postwarden").requireOk().output().strip();

        // upgrade path (preinst/postrm/postinst with the old version): config edit and state are kept
        apt("install", "-y", "--reinstall", "--no-install-recommends", deb.toString()).requireOk();
        assertEquals(edited, Files.readString(conf), "the reinstall replaced the edited conffile");
        assertTrue(Files.exists(state.resolve("postwarden.snapshot")), "the reinstall lost the state");
        assertEquals(uid, Exec.run(Duration.ofSeconds(30), "id", "-u", "postwarden").requireOk().output().strip());

        apt("purge", "-y", "postwarden").requireOk();
        assertFalse(installed(), "still installed after purge");
        for (Path p : PACKAGE_PATHS) {
            assertFalse(Files.exists(p), p + " left after purge");
        }
        System.out.println("PackageIT: user postwarden kept after purge (uid " + uid + "), as documented");
    }

    /** Runs the unit's ExecStart as the unit would (user, directory, umask, no new privileges) until it answers. */
    private static void runDaemon(String execStart, Path log) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("env", "-i", "PATH=/usr/bin:/bin", "JAVA_OPTS=-Xmx256m",
                Requirements.which("setpriv").orElseThrow().toString(), "--reuid=postwarden", "--regid=postwarden",
                "--init-groups", "--no-new-privs", "--", "sh", "-c", "cd /var/lib/postwarden && umask 0077 && exec "
                        + execStart));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            Map<String, Integer> ports = Map.of();
            long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
            while (System.nanoTime() < deadline) {
                assertTrue(p.isAlive(), "daemon exited with " + (p.isAlive() ? "" : p.exitValue()) + ":\n"
                        + Files.readString(log));
                ports = DaemonProcess.listenerPorts(Files.readString(log));
                if (ports.containsKey("http") && status(ports.get("http"), "/readyz") == 200) {
                    break;
                }
                Thread.sleep(200);
            }
            assertTrue(ports.containsKey("http") && ports.containsKey("policy"), "not ready in 120 s:\n"
                    + Files.readString(log));
            ports = DaemonProcess.listenerPorts(Files.readString(log));
            // it runs as the package's user
            String user = Exec.run(Duration.ofSeconds(30), "ps", "-o", "user=", "-p", Long.toString(p.pid()))
                    .output().strip();
            assertEquals("postwarden", user);
            assertTrue(policyAnswer(ports.get("policy")).startsWith("action="));
            Exec.Result ctl = clean("postwarden", "ctl", "--config", "/etc/postwarden/postwarden.yaml",
                    "--url", "http://127.0.0.1:" + ports.get("http"), "status");
            assertTrue(ctl.ok(), ctl.describe());
        } finally {
            p.destroy(); // SIGTERM to the JVM (setpriv, sh and the wrapper all exec)
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
        // the unit's SuccessExitStatus: 0, or 143 from a JVM ended by SIGTERM
        assertTrue(p.exitValue() == 0 || p.exitValue() == 143, "daemon exit status " + p.exitValue()
                + " after SIGTERM:\n" + Files.readString(log));
    }

    private static String policyAnswer(int port) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(30_000);
            OutputStream out = s.getOutputStream();
            out.write(("request=smtpd_access_policy\nprotocol_state=RCPT\nprotocol_name=ESMTP\n"
                    + "client_address=127.0.0.1\nclient_name=localhost\nhelo_name=localhost\n"
                    + "sender=a@example.org\nrecipient=b@example.org\ninstance=pkg.1\n\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            return new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII))
                    .readLine();
        }
    }

    private static int status(int port, String path) {
        try {
            HttpURLConnection c = (HttpURLConnection) URI.create("http://127.0.0.1:" + port + path).toURL()
                    .openConnection();
            c.setConnectTimeout(5000);
            c.setReadTimeout(5000);
            return c.getResponseCode();
        } catch (IOException e) {
            return -1;
        }
    }

    /** A command with no JDK in reach: PATH of the base system only, no JAVA_HOME. */
    private static Exec.Result clean(String... cmd) {
        List<String> argv = new ArrayList<>(List.of("env", "-i", "PATH=/usr/bin:/bin"));
        argv.addAll(Arrays.asList(cmd));
        return Exec.run(Duration.ofMinutes(2), argv);
    }

    private static boolean installed() {
        Exec.Result r = Exec.run(Duration.ofSeconds(30), "dpkg-query", "-W", "-f=${Status}", "postwarden");
        return r.ok() && r.output().contains("install ok installed");
    }

    /** apt-get, waiting for the dpkg lock when another apt runs (bounded). */
    private static Exec.Result apt(String... args) {
        List<String> argv = new ArrayList<>(List.of("env", "DEBIAN_FRONTEND=noninteractive", "apt-get",
                "-o", "DPkg::Lock::Timeout=300"));
        argv.addAll(Arrays.asList(args));
        Exec.Result r = Exec.run(APT, argv);
        System.out.println(r.describe());
        return r;
    }

    private static Path deb() throws IOException {
        Path dir = Path.of(System.getProperty("postwarden.deb.dir", "target"));
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().matches("postwarden_.+_amd64\\.deb"))
                    .max((a, b) -> Long.compare(a.toFile().lastModified(), b.toFile().lastModified()))
                    .orElseThrow(() -> new IllegalStateException("no postwarden_*_amd64.deb in " + dir
                            + " (./mvnw package builds it; -Ddeb.skip=true skips it)"));
        }
    }
}
