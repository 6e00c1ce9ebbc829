package org.postwarden.it;

import org.postwarden.it.harness.Exec;
import org.postwarden.it.harness.Ports;
import org.postwarden.it.harness.Requirements;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Debian's {@code crowdsec} as the Local API of an end-to-end test: {@code crowdsec -c CONFIG -no-cs} (no agent,
 * no Central API) with the packaged configuration laid over into the test's directory -- database, logs, data and
 * credentials there, {@code listen_uri} on a loopback port picked just before the start (the LAPI cannot report a
 * port it bound), the start repeated with another port when that one was taken meanwhile. {@link #cscli} runs
 * Debian's {@code cscli} on the same configuration. Stopped by its PID.
 */
final class CrowdSecLapi implements AutoCloseable {
    private final Path dir;
    private final int port;
    private Process process;

    private CrowdSecLapi(Path dir, int port) {
        this.dir = dir;
        this.port = port;
    }

    /** Starts a LAPI under {@code dir} and registers the machine {@code cscli} uses. */
    static CrowdSecLapi start(Path dir) throws Exception {
        Requirements.require("crowdsec", "crowdsec");
        Requirements.require("cscli", "crowdsec");
        Files.createDirectories(dir.resolve("data"));
        return Ports.retryOnBindFailure("crowdsec", () -> {
            CrowdSecLapi l = new CrowdSecLapi(dir, Ports.candidate());
            l.writeConfig();
            l.cscli("machines", "add", "it-cscli", "--auto", "--force", "-f",
                    dir.resolve("local_api_credentials.yaml").toString());
            l.run();
            return l;
        });
    }

    /** The packaged config with every path that is written to, and the listen address, moved to the test's. */
    private void writeConfig() throws IOException {
        String packaged = Files.readString(Path.of("/etc/crowdsec/config.yaml"), StandardCharsets.UTF_8);
        String d = dir.toString();
        String conf = packaged
                .replaceAll("(?m)^(\\s*)daemonize:.*$", "$1daemonize: false")
                .replaceAll("(?m)^(\\s*)log_dir:.*$", "$1log_dir: " + d + "/")
                .replaceAll("(?m)^(\\s*)working_dir:.*$", "$1working_dir: " + d)
                .replaceAll("(?m)^(\\s*)data_dir:.*$", "$1data_dir: " + d + "/data/")
                .replaceAll("(?m)^(\\s*)db_path:.*$", "$1db_path: " + d + "/data/crowdsec.db")
                .replaceAll("(?m)^(\\s*)credentials_path: /etc/crowdsec/local_api_credentials.yaml.*$",
                        "$1credentials_path: " + d + "/local_api_credentials.yaml")
                .replaceAll("(?m)^(\\s*)listen_uri:.*$", "$1listen_uri: 127.0.0.1:" + port)
                // no Central API: the online client's section goes (its credentials line with it)
                .replaceAll("(?m)^\\s*online_client:.*\\n\\s*credentials_path:.*\\n", "")
                .replaceAll("(?m)^prometheus:\\n(\\s+)enabled: true", "prometheus:\n$1enabled: false");
        if (conf.contains("/var/lib/crowdsec/data/crowdsec.db") || !conf.contains("listen_uri: 127.0.0.1:" + port)
                || conf.contains("online_api_credentials")) {
            throw new IllegalStateException("unexpected layout of /etc/crowdsec/config.yaml:\n" + packaged);
        }
        Files.writeString(config(), conf, StandardCharsets.UTF_8);
    }

    private void run() throws IOException, InterruptedException {
        process = new ProcessBuilder(Requirements.which("crowdsec").orElseThrow().toString(), "-c",
                config().toString(), "-no-cs").redirectErrorStream(true)
                .redirectOutput(dir.resolve("crowdsec.out").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                String log = log();
                if (Ports.saysAddressInUse(log)) {
                    throw new Ports.AddressInUse("crowdsec could not bind 127.0.0.1:" + port);
                }
                throw new IllegalStateException("crowdsec exited with " + process.exitValue() + ":\n" + log);
            }
            if (log().contains("CrowdSec Local API listening on 127.0.0.1:" + port) && answers()) {
                return;
            }
            Thread.sleep(100);
        }
        close();
        throw new IllegalStateException("crowdsec LAPI not listening within 60s:\n" + log());
    }

    private boolean answers() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Stops the LAPI (the database stays) for an outage; {@link #restart} brings it back on the same port. */
    void stopServer() {
        if (process != null) {
            process.destroy();
            try {
                if (!process.waitFor(20, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
            if (process.isAlive()) {
                throw new IllegalStateException("crowdsec (pid " + process.pid() + ") still running");
            }
        }
    }

    /** Starts the LAPI again on its port (the test fails if someone took it meanwhile). */
    void restart() throws IOException, InterruptedException {
        Files.writeString(dir.resolve("crowdsec.log"), "");
        run();
    }

    /** {@code http://127.0.0.1:PORT}. */
    String url() {
        return "http://127.0.0.1:" + port;
    }

    Path config() {
        return dir.resolve("config.yaml");
    }

    /** Runs {@code cscli -c CONFIG ARGS...}, which must succeed; returns its output. */
    String cscli(String... args) {
        List<String> cmd = new ArrayList<>(List.of(Requirements.which("cscli").orElseThrow().toString(), "-c",
                config().toString()));
        cmd.addAll(List.of(args));
        return Exec.run(Duration.ofSeconds(60), cmd).requireOk().output();
    }

    String log() {
        StringBuilder sb = new StringBuilder();
        for (String f : List.of("crowdsec.out", "crowdsec.log", "crowdsec_api.log")) {
            Path p = dir.resolve(f);
            try {
                if (Files.exists(p)) {
                    sb.append(Files.readString(p, StandardCharsets.UTF_8));
                }
            } catch (IOException e) {
                sb.append("(cannot read ").append(f).append(")\n");
            }
        }
        return sb.toString();
    }

    @Override
    public void close() {
        stopServer();
    }
}
