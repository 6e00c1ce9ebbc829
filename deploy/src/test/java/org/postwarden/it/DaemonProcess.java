package org.postwarden.it;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The real daemon as a separate process ({@code java -jar postwarden.jar run --config FILE}), on free loopback
 * ports, with its state under a directory of the test's. Start waits for {@code /readyz}; stop sends SIGTERM and
 * waits for a clean exit. Everything is bounded in time.
 */
public final class DaemonProcess implements AutoCloseable {
    private final Path dir;
    private final Path config;
    private final Path log;
    private final int policyPort;
    private final int httpPort;
    private Process process;

    private DaemonProcess(Path dir, int policyPort, int httpPort, Path config) {
        this.dir = dir;
        this.policyPort = policyPort;
        this.httpPort = httpPort;
        this.config = config;
        this.log = dir.resolve("postwarden.log");
    }

    /**
     * Writes a config with fresh loopback ports and a snapshot under {@code dir}, followed by {@code extraYaml}
     * (which must not repeat the {@code policy}, {@code http} or {@code store} sections), and starts the daemon.
     */
    public static DaemonProcess start(Path dir, String extraYaml) throws IOException, InterruptedException {
        return start(dir, extraYaml, freePort());
    }

    /** Like {@link #start(Path, String)}, with the policy listener on {@code policy} (chosen before Postfix starts). */
    public static DaemonProcess start(Path dir, String extraYaml, int policy) throws IOException, InterruptedException {
        int http = freePort();
        Files.createDirectories(dir);
        Path cfg = dir.resolve("postwarden.yaml");
        Files.writeString(cfg, "policy: {listen: 127.0.0.1:" + policy + "}\n"
                + "http: {listen: 127.0.0.1:" + http + "}\n"
                + "store: {snapshot: {path: " + dir.resolve("state.snapshot") + ", interval: 1h}}\n"
                + extraYaml);
        DaemonProcess d = new DaemonProcess(dir, policy, http, cfg);
        d.launch();
        return d;
    }

    /** Starts the daemon again with the same config and state directory. */
    public void restart() throws IOException, InterruptedException {
        stop();
        launch();
    }

    private void launch() throws IOException, InterruptedException {
        String jar = System.getProperty("postwarden.jar", "target/postwarden.jar");
        if (!Files.exists(Path.of(jar))) {
            throw new IllegalStateException("daemon jar missing: " + jar + " (run ./mvnw verify, which packages it)");
        }
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx256m", "-jar", jar, "run", "--config",
                config.toString()));
        process = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("daemon exited with " + process.exitValue() + ":\n" + log());
            }
            if (httpStatus("/readyz") == 200) {
                return;
            }
            Thread.sleep(100);
        }
        process.destroyForcibly();
        throw new IllegalStateException("daemon not ready within 30s:\n" + log());
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

    public int policyPort() {
        return policyPort;
    }

    public int httpPort() {
        return httpPort;
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
        HttpURLConnection c = (HttpURLConnection) URI.create("http://127.0.0.1:" + httpPort + path).toURL()
                .openConnection();
        c.setConnectTimeout(2000);
        c.setReadTimeout(5000);
        return c;
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
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
