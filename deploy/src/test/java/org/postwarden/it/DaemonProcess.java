package org.postwarden.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The real daemon as a separate process ({@code java -jar postwarden.jar run --config FILE}), with its state under a
 * directory of the test's. Its listeners bind port 0 on 127.0.0.1 and the ports are read back from its log (the
 * daemon logs {@code <name> listener on <address>} for each listener it started), so no port is picked in advance.
 * Start waits for {@code /readyz}; stop sends SIGTERM and waits for a clean exit. Everything is bounded in time.
 */
public final class DaemonProcess implements AutoCloseable {
    /**
     * {@code policy listener on 127.0.0.1:35437}: the message text only (the logger name in front of it is the
     * Daemon class's, which may move packages). Listeners on something else than one address (the log ingester's
     * files) do not match.
     */
    private static final Pattern LISTENER = Pattern.compile("(?m)\\b([a-z][a-z-]*) listener on (\\S*):(\\d+)\\s*$");
    /** {@code ingest listener on files [...], syslog udp 127.0.0.1:N, syslog tcp 127.0.0.1:M}. */
    private static final Pattern SYSLOG = Pattern.compile("\\bsyslog (udp|tcp) (\\S*):(\\d+)");
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private final Path dir;
    private final Path config;
    private final Path log;
    /** Listener name to bound port, of the current (or last) run. */
    private volatile Map<String, Integer> ports = Map.of();
    private Process process;

    private DaemonProcess(Path dir, Path config) {
        this.dir = dir;
        this.config = config;
        this.log = dir.resolve("postwarden.log");
    }

    /**
     * Writes a config with the policy and HTTP listeners on {@code 127.0.0.1:0}, the milter too unless
     * {@code extraYaml} configures it, and a snapshot under {@code dir}, followed by {@code extraYaml} (which must not
     * repeat the {@code policy}, {@code http}, {@code store} or {@code admin} sections (the token is
     * {@code DIR/state/admin.token}); a milter or syslog listener in it must
     * listen on {@code 127.0.0.1:0} as well), and starts the daemon. Read the ports with {@link #port}.
     */
    public static DaemonProcess start(Path dir, String extraYaml) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        Path cfg = dir.resolve("postwarden.yaml");
        Files.writeString(cfg, "policy: {listen: 127.0.0.1:0}\n"
                + "http: {listen: 127.0.0.1:0}\n"
                + "store: {snapshot: {path: " + dir.resolve("state.snapshot") + ", interval: 1h}}\n"
                // where the tests (and ctl) find the token: a relative token-file would lie next to the snapshot
                + "admin: {token-file: " + dir.resolve("state/admin.token") + "}\n"
                + listenersOnPortZero(extraYaml)
                + extraYaml);
        DaemonProcess d = new DaemonProcess(dir, cfg);
        d.launch();
        return d;
    }

    /**
     * Every listener of a test's daemon binds port 0 (a port picked in advance may be taken by the time the daemon
     * binds it): the milter, enabled by default on 10034, is put on port 0 when {@code extraYaml} leaves it out
     * (returned as a line to add); a milter or syslog listener configured there on another port is refused.
     */
    static String listenersOnPortZero(String extraYaml) throws IOException {
        JsonNode extra = YAML.readTree(extraYaml);
        if (extra == null || extra.isMissingNode() || extra.isNull()) {
            extra = YAML.createObjectNode();
        }
        for (String own : List.of("policy", "http", "store", "admin")) {
            if (extra.has(own)) {
                throw new IllegalArgumentException("DaemonProcess writes the " + own + " section itself:\n"
                        + extraYaml);
            }
        }
        JsonNode syslog = extra.path("ingest").path("syslog");
        if (syslog.path("enabled").asBoolean(false)) {
            for (String transport : List.of("udp", "tcp")) {
                // left out: the default port 10514
                portZero("ingest.syslog." + transport, syslog.path(transport).asText("127.0.0.1:10514"), true);
            }
        }
        JsonNode auth = extra.path("auth-policy");
        if (auth.path("enabled").asBoolean(false)) {
            portZero("auth-policy.listen", auth.path("listen").asText("127.0.0.1:10036"), false);
        }
        JsonNode milter = extra.path("milter");
        if (milter.isMissingNode()) {
            return "milter: {listen: 127.0.0.1:0}\n";
        }
        if (milter.path("enabled").asBoolean(true)) {
            portZero("milter.listen", milter.path("listen").asText("127.0.0.1:10034"), false);
        }
        return "";
    }

    private static void portZero(String key, String listen, boolean emptyAllowed) {
        if (!listen.equals("127.0.0.1:0") && !(emptyAllowed && listen.isEmpty())) {
            throw new IllegalArgumentException(key + " is " + listen + ": a test's daemon listens on 127.0.0.1:0 "
                    + "(read the port back with DaemonProcess.port), never on a port picked in advance");
        }
    }

    /** How a run that was expected to fail ended: its exit code and everything it printed. */
    public record Exit(int code, String output) {
    }

    /**
     * Runs the daemon on exactly {@code yaml} (no listener is moved to port 0: a test that wants a start-up failure
     * configures a port it holds itself) and waits, at most {@code timeout}, for it to exit; a daemon still running
     * then is killed and reported as such.
     */
    public static Exit runToExit(Path dir, String yaml, Duration timeout) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        Path cfg = dir.resolve("postwarden.yaml");
        Files.writeString(cfg, yaml);
        Path out = dir.resolve("postwarden.log");
        String jar = System.getProperty("postwarden.jar", "target/postwarden.jar");
        if (!Files.exists(Path.of(jar))) {
            throw new IllegalStateException("daemon jar missing: " + jar + " (run ./mvnw verify, which packages it)");
        }
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-Xmx128m", "-jar", Path.of(jar).toAbsolutePath().toString(), "run",
                "--config", cfg.toString()).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(out.toFile()).start();
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            throw new IllegalStateException("daemon still running after " + timeout + ":\n" + Files.readString(out));
        }
        return new Exit(p.exitValue(), Files.readString(out));
    }

    /**
     * Starts the daemon again with the same config and state directory. Its listeners bind port 0 again, so the
     * ports may change: read them anew and point Postfix at them.
     */
    public void restart() throws IOException, InterruptedException {
        stop();
        launch();
    }

    /**
     * {@code kill -9}: the daemon dies at once, without a final snapshot (what a crash, the OOM killer or a power
     * loss leaves); waits (bounded) until it is gone. {@link #restart} starts it again.
     */
    public void kill9() throws InterruptedException {
        if (process == null || !process.isAlive()) {
            return;
        }
        process.destroyForcibly(); // SIGKILL on Linux
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            throw new IllegalStateException("daemon still running 20s after SIGKILL");
        }
    }

    /**
     * Starts the daemon again like {@link #restart}, but waits only until it serves ({@code /readyz} answers 200 or
     * 503): for a start that is expected to report not-ready (a corrupt snapshot waiting for the admin).
     */
    public void restartServing() throws IOException, InterruptedException {
        stop();
        launch(true);
    }

    private void launch() throws IOException, InterruptedException {
        launch(false);
    }

    private void launch(boolean notReadyIsUp) throws IOException, InterruptedException {
        String jar = System.getProperty("postwarden.jar", "target/postwarden.jar");
        if (!Files.exists(Path.of(jar))) {
            throw new IllegalStateException("daemon jar missing: " + jar + " (run ./mvnw verify, which packages it)");
        }
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx256m", "-jar", jar, "run", "--config",
                config.toString()));
        long logStart = Files.exists(log) ? Files.size(log) : 0;
        process = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("daemon exited with " + process.exitValue() + ":\n" + log());
            }
            // every listener is logged before the daemon turns ready
            ports = listenerPorts(logSince(logStart));
            int ready = ports.containsKey("http") ? httpStatus("/readyz") : -1;
            // a 503 also answers while the other listeners start: "started" is logged once all of them are up
            if (ready == 200 || notReadyIsUp && ready == 503 && logSince(logStart).contains("postwarden started")) {
                ports = listenerPorts(logSince(logStart));
                return;
            }
            Thread.sleep(100);
        }
        process.destroyForcibly();
        throw new IllegalStateException("daemon not ready within 30s:\n" + log());
    }

    /** The log written from byte {@code start} on (this run's part; the file is appended to across restarts). */
    private String logSince(long start) throws IOException {
        byte[] all = Files.readAllBytes(log);
        int from = (int) Math.min(start, all.length);
        return new String(all, from, all.length - from, StandardCharsets.UTF_8);
    }

    static Map<String, Integer> listenerPorts(String logText) {
        Map<String, Integer> found = new HashMap<>();
        Matcher m = LISTENER.matcher(logText);
        while (m.find()) {
            found.put(m.group(1), Integer.parseInt(m.group(3)));
        }
        Matcher s = SYSLOG.matcher(logText);
        while (s.find()) {
            found.put("syslog-" + s.group(1), Integer.parseInt(s.group(3)));
        }
        return Map.copyOf(found);
    }

    /** SIGTERM, then a bounded wait for a clean exit; returns the exit code. */
    public int stop() throws InterruptedException {
        if (process == null || !process.isAlive()) {
            return process == null ? 0 : process.exitValue();
        }
        process.destroy();
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            throw new IllegalStateException("daemon did not stop within 20s after SIGTERM");
        }
        return process.exitValue();
    }

    /**
     * The port the listener {@code name} ({@code policy}, {@code milter}, {@code http}, {@code syslog-udp},
     * {@code syslog-tcp}) bound in the current run, or in the last one while the daemon is stopped.
     */
    public int port(String name) {
        Integer p = ports.get(name);
        if (p == null) {
            throw new IllegalStateException("no " + name + " listener in the daemon's log (listeners: " + ports
                    + ")\n" + log());
        }
        return p;
    }

    public int policyPort() {
        return port("policy");
    }

    public int httpPort() {
        return port("http");
    }

    /** The milter listener's port (it runs unless the extra YAML sets {@code milter.enabled: false}). */
    public int milterPort() {
        return port("milter");
    }

    /** The daemon's process id (for signals), or -1 when it is not running. */
    public long pid() {
        return process == null || !process.isAlive() ? -1 : process.pid();
    }

    /** The config file the daemon was started with (a test may rewrite it, then reload). */
    public Path config() {
        return config;
    }

    public Path dir() {
        return dir;
    }

    public String log() {
        try {
            return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            return "(cannot read log: " + e + ")";
        }
    }

    /** The Prometheus exposition text. */
    public String metrics() throws IOException {
        HttpURLConnection c = open("/metrics");
        try (var in = c.getInputStream()) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } finally {
            c.disconnect();
        }
    }

    /** Sum of all samples of {@code name} whose label set contains every {@code labels} fragment (k="v"). */
    public double metric(String name, String... labels) throws IOException {
        double sum = 0;
        Pattern line = Pattern.compile("^" + Pattern.quote(name) + "(\\{[^}]*})?\\s+(\\S+)$", Pattern.MULTILINE);
        Matcher m = line.matcher(metrics());
        while (m.find()) {
            String set = m.group(1) == null ? "" : m.group(1);
            boolean all = true;
            for (String l : labels) {
                all &= set.contains(l);
            }
            if (all) {
                sum += Double.parseDouble(m.group(2));
            }
        }
        return sum;
    }

    int httpStatus(String path) {
        try {
            HttpURLConnection c = open(path);
            try {
                return c.getResponseCode();
            } finally {
                c.disconnect();
            }
        } catch (IOException e) {
            return -1;
        }
    }

    private HttpURLConnection open(String path) throws IOException {
        HttpURLConnection c = (HttpURLConnection) URI.create("http://127.0.0.1:" + httpPort() + path).toURL()
                .openConnection();
        c.setConnectTimeout(2000);
        c.setReadTimeout(5000);
        return c;
    }

    @Override
    public void close() {
        try {
            stop();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            if (process != null) {
                process.destroyForcibly();
            }
        }
    }
}
