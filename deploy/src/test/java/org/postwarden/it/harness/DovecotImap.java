package org.postwarden.it.harness;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A throwaway Dovecot IMAP server (Debian {@code dovecot-core} and {@code dovecot-imapd}) on a loopback port, with
 * passwd-file users and Dovecot's authentication policy pointed at a URL: {@code auth_policy_server_url}, a hash
 * nonce, {@code auth_verbose}. {@code login_trusted_networks} holds 127.0.0.1 only (a webmail there may pass the
 * client's address with IMAP {@code ID x-originating-ip}); every other 127.0.0.x is an ordinary client. Runs in the
 * foreground as a child of this JVM; needs root. Its port is picked just before the start and the start retried
 * when it was taken ({@link Ports}).
 */
public final class DovecotImap implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DovecotImap.class);

    private final Path dir;
    private final Process process;
    private final int port;
    private volatile boolean closed;

    private DovecotImap(Path dir, Process process, int port) {
        this.dir = dir;
        this.process = process;
        this.port = port;
    }

    /**
     * Starts dovecot with {@code users} (name to cleartext password) and the policy server at {@code policyUrl};
     * waits until IMAP answers.
     */
    public static DovecotImap start(Path dir, Map<String, String> users, String policyUrl, Duration timeout) {
        Requirements.requireRoot();
        Requirements.require("dovecot", "dovecot-core");
        Requirements.require("/usr/lib/dovecot/imap-login", "dovecot-imapd");
        try {
            Files.createDirectories(dir.resolve("mail"));
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
            Files.setPosixFilePermissions(dir.resolve("mail"), PosixFilePermissions.fromString("rwxrwxrwx"));
            StringBuilder sb = new StringBuilder();
            users.forEach((u, p) -> sb.append(u).append(":{PLAIN}").append(p).append('\n'));
            Path passwd = dir.resolve("users");
            Files.writeString(passwd, sb.toString(), StandardCharsets.UTF_8);
            Files.setPosixFilePermissions(passwd, PosixFilePermissions.fromString("rw-r--r--"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare " + dir, e);
        }
        return Ports.retryOnBindFailure("dovecot imap " + dir, () -> attempt(dir, policyUrl, timeout));
    }

    private static DovecotImap attempt(Path dir, String policyUrl, Duration timeout) {
        int port = Ports.candidate();
        Path conf = dir.resolve("dovecot.conf");
        try {
            Files.deleteIfExists(dir.resolve("dovecot.log"));
            Files.writeString(conf, config(dir, port, policyUrl), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + conf, e);
        }
        Exec.run(Duration.ofSeconds(15), Requirements.exe("doveconf"), "-c", conf.toString(), "-n").requireOk();
        Process p;
        try {
            p = new ProcessBuilder(Requirements.exe("dovecot"), "-F", "-c", conf.toString())
                    .redirectErrorStream(true)
                    .redirectOutput(dir.resolve("stdout").toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start dovecot", e);
        }
        DovecotImap d = new DovecotImap(dir, p, port);
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            String log = d.logText() + Procs.readOrEmpty(dir.resolve("stdout"));
            if (Ports.ADDRESS_IN_USE.matcher(log).find()) {
                d.close();
                throw new Ports.AddressInUse("dovecot imap port " + port + ": " + log.strip());
            }
            if (!p.isAlive() || System.nanoTime() - deadline > 0) {
                String why = p.isAlive() ? "IMAP not answering on " + port + " after " + timeout : "dovecot exited";
                d.close();
                throw new IllegalStateException(why + "\n" + d.diagnostics());
            }
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                s.setSoTimeout(5000);
                String greeting = new BufferedReader(new InputStreamReader(s.getInputStream(),
                        StandardCharsets.US_ASCII)).readLine();
                if (greeting != null && greeting.startsWith("* OK")) {
                    break;
                }
            } catch (IOException notYet) {
                Procs.sleep(Duration.ofMillis(50));
            }
        }
        LOG.info("dovecot imap started: pid {}, port {}", p.pid(), port);
        return d;
    }

    private static String config(Path dir, int port, String policyUrl) {
        return """
                # generated by the Postwarden test harness: IMAP with Dovecot's authentication policy
                protocols = imap
                listen = 127.0.0.1
                base_dir = %1$s/run
                state_dir = %1$s/state
                log_path = %1$s/dovecot.log
                info_log_path = %1$s/dovecot.log
                ssl = no
                disable_plaintext_auth = no
                auth_mechanisms = plain login
                auth_verbose = yes
                auth_debug = yes
                auth_failure_delay = 0
                login_trusted_networks = 127.0.0.1/32
                mail_location = maildir:%1$s/mail/%%u
                auth_policy_server_url = %3$s
                auth_policy_hash_nonce = postwarden-test-nonce
                auth_policy_server_timeout_msecs = 2000
                auth_policy_reject_on_fail = no
                passdb {
                  driver = passwd-file
                  args = scheme=PLAIN username_format=%%u %1$s/users
                }
                userdb {
                  driver = static
                  args = uid=nobody gid=nogroup home=%1$s/mail/%%u
                }
                # Dovecot's own per-address delay of failed logins (up to 15 s each) off: the policy server's
                # tarpit is what this tests (and a socket mode of 0 is Dovecot's documented way to disable it)
                service anvil {
                  unix_listener anvil-auth-penalty {
                    mode = 0
                  }
                }
                service imap-login {
                  inet_listener imap {
                    address = 127.0.0.1
                    port = %2$d
                  }
                  inet_listener imaps {
                    port = 0
                  }
                }
                """.formatted(dir, port, policyUrl);
    }

    /** The IMAP port. */
    public int port() {
        return port;
    }

    /** Dovecot's log. */
    public String logText() {
        return Procs.readOrEmpty(dir.resolve("dovecot.log"));
    }

    /**
     * One IMAP session from {@code localAddress}: greeting, then {@code ID ("x-originating-ip" forwarded)} when
     * {@code forwarded} is not null, then {@code LOGIN user password}; returns the tagged reply to LOGIN (e.g.
     * {@code a OK ...} or {@code a NO [AUTHENTICATIONFAILED] ...}), after which it logs out.
     */
    public String login(String localAddress, String forwarded, String user, String password) {
        try (Socket s = new Socket()) {
            s.bind(new InetSocketAddress(InetAddress.getByName(localAddress), 0));
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5000);
            // Dovecot's own delays (auth penalty) and the tarpit: at most 15 s each, plus slack
            s.setSoTimeout(60_000);
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
            OutputStream out = s.getOutputStream();
            String greeting = in.readLine();
            if (greeting == null || !greeting.startsWith("* OK")) {
                return "no greeting: " + greeting;
            }
            if (forwarded != null) {
                out.write(("i ID (\"x-originating-ip\" \"" + forwarded + "\")\r\n").getBytes(StandardCharsets.UTF_8));
                out.flush();
                tagged(in, "i ");
            }
            out.write(("a LOGIN \"" + user + "\" \"" + password + "\"\r\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            String reply = tagged(in, "a ");
            out.write("z LOGOUT\r\n".getBytes(StandardCharsets.UTF_8));
            out.flush();
            return reply;
        } catch (IOException e) {
            return "io error: " + e;
        }
    }

    private static String tagged(BufferedReader in, String tag) throws IOException {
        List<String> seen = new ArrayList<>();
        String line;
        while ((line = in.readLine()) != null) {
            if (line.startsWith(tag)) {
                return line;
            }
            seen.add(line);
        }
        return "connection closed after " + seen;
    }

    private String diagnostics() {
        return "dovecot stdout:\n" + Procs.readOrEmpty(dir.resolve("stdout")) + "\ndovecot log:\n" + logText();
    }

    /** SIGTERM to the dovecot master, SIGKILL to anything of it left after 10 s; fails if a process survives. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        Procs.stopTree(process, "dovecot");
        LOG.info("dovecot imap stopped: pid {}", process.pid());
    }
}
