package org.postwarden.it.harness;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A throwaway, real Postfix under one short directory in /tmp, listening only on 127.0.0.1, relaying everything it
 * accepts to an {@code smtp-sink} it starts itself, which dumps each message to a file.
 *
 * <p>Defaults: {@code relay_domains = example.test} (accepted from anybody and relayed to the sink),
 * {@code mynetworks = 127.0.0.2/32} (so a client on 127.0.0.1 is external and relaying to other domains is refused
 * with {@code 554 5.7.1 Relay access denied}), no DNS at all, {@code maillog_file} in the directory. Callers add or
 * override {@code main.cf} parameters and append {@code master.cf} lines; optional postscreen port, a
 * submission port with Dovecot SASL and more plain smtpd ports. Needs root. Every wait is bounded; {@link #close()}
 * stops everything, checks that no process of the instance is left and deletes the directory.
 *
 * <p>Ports: Postfix cannot bind port 0 and report the port, so each of its ports (and the sink's) is picked just
 * before the start ({@link Ports#candidate()}). When one was taken meanwhile (Postfix logs {@code bind ... Address
 * already in use}, or another process listens on it as well: master and smtp-sink set SO_REUSEPORT, so a second
 * Postfix-style listener binds without an error) the start is repeated with freshly picked ports, up to
 * {@link Ports#BIND_ATTEMPTS} times. Read the ports from the instance after {@link Builder#start()}.
 *
 * <pre>{@code
 * try (PostfixInstance pf = PostfixInstance.builder()
 *         .mainCf("smtpd_recipient_restrictions",
 *                 "check_policy_service { inet:127.0.0.1:" + port + ", default_action=DUNNO }, reject_unauth_destination")
 *         .start()) {
 *     Swaks.Result r = Swaks.to("user@example.test").port(pf.smtpdPort()).send();
 *     pf.awaitDelivered(1, Duration.ofSeconds(10));
 * }
 * }</pre>
 */
public final class PostfixInstance implements AutoCloseable {

    /** The domain that is relayed to the sink by default. */
    public static final String RELAY_DOMAIN = "example.test";

    private static final Logger LOG = LoggerFactory.getLogger(PostfixInstance.class);
    private static final Duration CMD_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration POLL = Duration.ofMillis(50);
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Pattern RELOADED = Pattern.compile("postfix/master\\[\\d+\\]: reload -- version");

    private final Builder options;
    private final Path dir;
    // picked anew at each start attempt
    private int smtpdPort;
    private int sinkPort;
    private int submissionPort = -1;
    private int postscreenPort = -1;
    private final Map<String, Integer> extraSmtpdPorts = new LinkedHashMap<>();
    private final Thread shutdownHook;
    private Process sink;
    private Dovecot dovecot;
    private long masterPid = -1;
    private volatile boolean closed;

    private PostfixInstance(Builder b, Path dir) {
        this.options = b;
        this.dir = dir;
        this.shutdownHook = new Thread(this::closeQuietly, "postfix-instance-cleanup-" + dir.getFileName());
    }

    /** Picks every port anew (except a fixed {@link Builder#smtpdPort(int)}), for one start attempt. */
    private void pickPorts() {
        Set<Integer> taken = new HashSet<>();
        smtpdPort = options.smtpdPort > 0 ? options.smtpdPort : distinctCandidate(taken);
        taken.add(smtpdPort);
        sinkPort = distinctCandidate(taken);
        submissionPort = options.saslUsers.isEmpty() ? -1 : distinctCandidate(taken);
        postscreenPort = options.postscreen ? distinctCandidate(taken) : -1;
        extraSmtpdPorts.clear();
        for (String name : options.extraSmtpd.keySet()) {
            extraSmtpdPorts.put(name, distinctCandidate(taken));
        }
    }

    private static int distinctCandidate(Set<Integer> taken) {
        for (int i = 0; i < 50; i++) {
            int p = Ports.candidate();
            if (taken.add(p)) {
                return p;
            }
        }
        throw new IllegalStateException("no distinct free port");
    }

    /** Options for a new instance; finish with {@link Builder#start()}. */
    public static Builder builder() {
        return new Builder();
    }

    /** Options for a {@link PostfixInstance}. Every setter returns this builder. */
    public static final class Builder {
        private int smtpdPort;
        private String mynetworks = "127.0.0.2/32";
        private String relayDomains = RELAY_DOMAIN;
        private String myhostname = "pw-test.localdomain";
        private final Map<String, String> mainCf = new LinkedHashMap<>();
        private final List<String> masterCf = new ArrayList<>();
        private final Map<String, String> saslUsers = new LinkedHashMap<>();
        private final Map<String, List<String>> extraSmtpd = new LinkedHashMap<>();
        private boolean postscreen;
        private Duration startTimeout = Duration.ofSeconds(20);
        private boolean keepDir;

        private Builder() {
        }

        /**
         * Port of the plain smtpd on 127.0.0.1; default: a port picked at start (anew when it was taken). A port
         * given here is kept when the start is repeated because another port was taken.
         */
        public Builder smtpdPort(int port) {
            this.smtpdPort = port;
            return this;
        }

        /** {@code mynetworks}; default {@code 127.0.0.2/32}, so 127.0.0.1 is an outside client. */
        public Builder mynetworks(String value) {
            this.mynetworks = value;
            return this;
        }

        /**
         * {@code smtpd_authorized_xclient_hosts}: the clients (e.g. {@code 127.0.0.1}) that may send XCLIENT to
         * present another client address, e.g. an IPv6 one that loopback cannot give ({@link Swaks.Request#xclientAddr}).
         * Default none (Postfix's default: nobody).
         */
        public Builder xclientHosts(String value) {
            return mainCf("smtpd_authorized_xclient_hosts", value);
        }

        /** {@code relay_domains}, all relayed to the sink; default {@code example.test}. */
        public Builder relayDomains(String value) {
            this.relayDomains = value;
            return this;
        }

        /** {@code myhostname}; default {@code pw-test.localdomain}. */
        public Builder myhostname(String value) {
            this.myhostname = value;
            return this;
        }

        /** Sets (or overrides a default of) one main.cf parameter. */
        public Builder mainCf(String name, String value) {
            mainCf.put(name.strip(), value.strip());
            return this;
        }

        /**
         * Sets main.cf parameters from {@code name = value} lines; a line starting with whitespace continues the
         * previous value, blank lines and {@code #} comments are ignored.
         */
        public Builder mainCfLines(String... lines) {
            String last = null;
            for (String raw : String.join("\n", lines).split("\n")) {
                if (raw.isBlank() || raw.stripLeading().startsWith("#")) {
                    continue;
                }
                if (Character.isWhitespace(raw.charAt(0)) && last != null) {
                    mainCf.put(last, mainCf.get(last) + " " + raw.strip());
                    continue;
                }
                int eq = raw.indexOf('=');
                if (eq <= 0) {
                    throw new IllegalArgumentException("not a main.cf 'name = value' line: " + raw);
                }
                last = raw.substring(0, eq).strip();
                mainCf.put(last, raw.substring(eq + 1).strip());
            }
            return this;
        }

        /** Appends lines to master.cf verbatim (services, {@code -o} overrides of the services before them). */
        public Builder masterCf(String... lines) {
            masterCf.addAll(List.of(lines));
            return this;
        }

        /**
         * Adds another plain smtpd on a port of its own ({@link PostfixInstance#smtpdPort(String)}), with
         * {@code syslog_name = postfix/NAME} and the given {@code -o} overrides ({@code "name=value"}; an empty
         * value clears the parameter for this service). Its master.cf service name is {@code 127.0.0.1:PORT}.
         */
        public Builder smtpd(String name, String... overrides) {
            if (!name.matches("[A-Za-z0-9-]+") || extraSmtpd.containsKey(name)) {
                throw new IllegalArgumentException("smtpd service name must be new and [A-Za-z0-9-]+: " + name);
            }
            extraSmtpd.put(name, List.of(overrides));
            return this;
        }

        /**
         * Adds a SASL user and thereby enables Dovecot SASL and a submission-like smtpd on
         * {@link #submissionPort()} (AUTH PLAIN/LOGIN without TLS, relaying only for authenticated clients).
         */
        public Builder saslUser(String user, String password) {
            saslUsers.put(user, password);
            return this;
        }

        /**
         * Puts postscreen on {@link #postscreenPort()} in front of a second smtpd ({@code smtpd pass}); set
         * {@code postscreen_*} parameters with {@link #mainCf(String, String)}.
         */
        public Builder postscreen(boolean enabled) {
            this.postscreen = enabled;
            return this;
        }

        /** Upper bound for start-up (sink, postfix start, dovecot, ports listening); default 20 s. */
        public Builder startTimeout(Duration timeout) {
            this.startTimeout = timeout;
            return this;
        }

        /** Keep the directory after {@link #close()} (for debugging); default false. */
        public Builder keepDir(boolean keep) {
            this.keepDir = keep;
            return this;
        }

        /** Creates the directory, writes the config and starts sink, Postfix and (if users were added) Dovecot. */
        public PostfixInstance start() {
            Requirements.requireRoot();
            Requirements.require("postfix", "postfix");
            Requirements.require("smtp-sink", "postfix");
            if (!saslUsers.isEmpty()) {
                Requirements.require("dovecot", "dovecot-core");
            }
            PostfixInstance pf = new PostfixInstance(this, createBaseDir());
            try {
                pf.doStart();
                return pf;
            } catch (RuntimeException | Error e) {
                try {
                    pf.close();
                } catch (RuntimeException suppressed) {
                    e.addSuppressed(suppressed);
                }
                throw e;
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ start

    private static Path createBaseDir() {
        // short on purpose: unix socket paths (sun_path) are limited to 107 bytes
        for (int i = 0; i < 20; i++) {
            byte[] b = new byte[4];
            RANDOM.nextBytes(b);
            Path dir = Path.of("/tmp", "pw-" + HexFormat.of().formatHex(b));
            try {
                Files.createDirectory(dir);
                // postfix, dovecot and the sink (running as user postfix) must be able to traverse it
                Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
                return dir;
            } catch (FileAlreadyExistsException e) {
                // try another name
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create " + dir, e);
            }
        }
        throw new IllegalStateException("cannot find a free /tmp/pw-XXXXXXXX name");
    }

    private void doStart() {
        long t0 = System.nanoTime();
        Runtime.getRuntime().addShutdownHook(shutdownHook);
        try {
            Files.createDirectories(configDir());
            // postfix start refuses to run ("chdir ... No such file or directory") unless the queue dir exists;
            // it creates the subdirectories itself (post-install create-missing) with the right owners
            Files.createDirectories(dir.resolve("q"));
            Path sinkDir = Files.createDirectories(dir.resolve("sink"));
            UserPrincipalLookupService users = FileSystems.getDefault().getUserPrincipalLookupService();
            Files.setOwner(sinkDir, users.lookupPrincipalByName("postfix"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare " + dir, e);
        }
        long deadline = Ports.retryOnBindFailure("postfix instance " + dir, this::startSinkAndPostfix);

        if (!options.saslUsers.isEmpty()) {
            // unix sockets only (no mail protocols): no port to pick
            Duration left = Duration.ofNanos(Math.max(deadline - System.nanoTime(), 0));
            dovecot = Dovecot.start(dir.resolve("dovecot"), dir.resolve("q/private/auth"), options.saslUsers, left);
        }
        LOG.info("postfix started in {} ms: dir {}, smtpd 127.0.0.1:{}, sink {}{}{}{}",
                (System.nanoTime() - t0) / 1_000_000, dir, smtpdPort, sinkPort,
                submissionPort > 0 ? ", submission " + submissionPort : "",
                postscreenPort > 0 ? ", postscreen " + postscreenPort : "",
                extraSmtpdPorts.isEmpty() ? "" : ", " + extraSmtpdPorts);
    }

    /**
     * One start attempt with freshly picked ports: config, sink, {@code postfix start}, and every inet port
     * listened on by the sink or master alone. Throws {@link Ports.AddressInUse} (after stopping what it started)
     * when a port was taken; returns the attempt's deadline.
     */
    private long startSinkAndPostfix() {
        long deadline = System.nanoTime() + options.startTimeout.toNanos();
        pickPorts();
        try {
            Files.writeString(configDir().resolve("main.cf"), mainCf(), StandardCharsets.UTF_8);
            Files.writeString(configDir().resolve("master.cf"), masterCf(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the config in " + configDir(), e);
        }
        int logMark = maillogText().length();
        try {
            startSink();
            awaitOwnListener("smtp-sink", sinkPort, deadline, sink.toHandle(), () -> read(dir.resolve("sink.log")));

            Exec.Result r = postfix("start");
            if (!r.ok()) {
                String log = maillogText();
                String attemptLog = log.substring(Math.min(logMark, log.length()));
                if (Ports.saysAddressInUse(attemptLog) || Ports.saysAddressInUse(r.output())) {
                    throw new Ports.AddressInUse("postfix start: " + attemptLog.lines()
                            .filter(l -> Ports.saysAddressInUse(l)).findFirst().orElse(r.output().strip()));
                }
                throw new IllegalStateException("postfix start failed: " + r.describe() + "\nmaillog:\n" + log);
            }
            masterPid = readMasterPid();
            ProcessHandle master = ProcessHandle.of(masterPid).orElseThrow(() -> new IllegalStateException(
                    "postfix master " + masterPid + " not running after postfix start\nmaillog:\n" + maillogText()));
            awaitOwnListener("smtpd", smtpdPort, deadline, master, this::maillogText);
            if (submissionPort > 0) {
                awaitOwnListener("submission smtpd", submissionPort, deadline, master, this::maillogText);
            }
            if (postscreenPort > 0) {
                awaitOwnListener("postscreen", postscreenPort, deadline, master, this::maillogText);
            }
            for (Map.Entry<String, Integer> e : extraSmtpdPorts.entrySet()) {
                awaitOwnListener("smtpd " + e.getKey(), e.getValue(), deadline, master, this::maillogText);
            }
            return deadline;
        } catch (Ports.AddressInUse e) {
            List<String> problems = new ArrayList<>();
            stopProcesses(problems);
            if (!problems.isEmpty()) {
                IllegalStateException stuck = new IllegalStateException("after a failed start of " + dir + ": "
                        + String.join("\n", problems));
                stuck.addSuppressed(e);
                throw stuck;
            }
            throw e;
        }
    }

    private String mainCf() {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("compatibility_level", "3.6");
        p.put("queue_directory", dir + "/q");
        p.put("data_directory", dir + "/data");
        p.put("maillog_file", maillog().toString());
        p.put("maillog_file_prefixes", dir.toString());
        p.put("myhostname", options.myhostname);
        p.put("mydomain", "localdomain");
        p.put("myorigin", "$myhostname");
        p.put("inet_interfaces", "loopback-only");
        p.put("inet_protocols", "ipv4");
        p.put("mynetworks", options.mynetworks);
        p.put("mydestination", "");
        p.put("local_recipient_maps", "");
        p.put("alias_maps", "");
        p.put("alias_database", "");
        p.put("relay_domains", options.relayDomains);
        p.put("relay_recipient_maps", "");
        p.put("relayhost", "[127.0.0.1]:" + sinkPort);
        p.put("smtpd_relay_restrictions", "permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination");
        p.put("smtpd_peername_lookup", "no");
        p.put("smtp_dns_support_level", "disabled");
        p.put("smtp_host_lookup", "native");
        p.put("smtpd_tls_security_level", "none");
        p.put("smtp_tls_security_level", "none");
        // 3.7 defaults to tempfail, 3.11+ to shutdown: pin it so tests mean the same on every version
        p.put("milter_default_action", "tempfail");
        p.put("biff", "no");
        p.put("append_dot_mydomain", "no");
        if (!options.saslUsers.isEmpty()) {
            p.put("smtpd_sasl_type", "dovecot");
            p.put("smtpd_sasl_path", "private/auth");
        }
        p.putAll(options.mainCf);
        StringBuilder sb = new StringBuilder("# generated by the Postwarden test harness\n");
        p.forEach((k, v) -> sb.append(k).append(" = ").append(v).append('\n'));
        return sb.toString();
    }

    private String masterCf() {
        StringBuilder sb = new StringBuilder("# generated by the Postwarden test harness; no chroot, loopback only\n");
        sb.append("127.0.0.1:").append(smtpdPort).append(" inet n - n - - smtpd\n");
        if (postscreenPort > 0) {
            sb.append("127.0.0.1:").append(postscreenPort).append(" inet n - n - 1 postscreen\n")
                    .append("smtpd     pass  -       -       n       -       -       smtpd\n")
                    .append("  -o syslog_name=postfix/postscreen-smtpd\n")
                    .append("dnsblog   unix  -       -       n       -       0       dnsblog\n")
                    .append("tlsproxy  unix  -       -       n       -       0       tlsproxy\n");
        }
        if (submissionPort > 0) {
            sb.append("127.0.0.1:").append(submissionPort).append(" inet n - n - - smtpd\n")
                    .append("  -o syslog_name=postfix/submission\n")
                    .append("  -o smtpd_sasl_auth_enable=yes\n")
                    .append("  -o smtpd_tls_security_level=none\n")
                    .append("  -o smtpd_tls_auth_only=no\n")
                    .append("  -o smtpd_sasl_security_options=noanonymous\n")
                    .append("  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject\n");
        }
        sb.append("""
                pickup    unix  n       -       n       60      1       pickup
                cleanup   unix  n       -       n       -       0       cleanup
                qmgr      unix  n       -       n       300     1       qmgr
                rewrite   unix  -       -       n       -       -       trivial-rewrite
                bounce    unix  -       -       n       -       0       bounce
                defer     unix  -       -       n       -       0       bounce
                trace     unix  -       -       n       -       0       bounce
                verify    unix  -       -       n       -       1       verify
                flush     unix  n       -       n       1000?   0       flush
                proxymap  unix  -       -       n       -       -       proxymap
                proxywrite unix -       -       n       -       1       proxymap
                smtp      unix  -       -       n       -       -       smtp
                relay     unix  -       -       n       -       -       smtp
                  -o syslog_name=postfix/$service_name
                showq     unix  n       -       n       -       -       showq
                error     unix  -       -       n       -       -       error
                retry     unix  -       -       n       -       -       error
                discard   unix  -       -       n       -       -       discard
                anvil     unix  -       -       n       -       1       anvil
                scache    unix  -       -       n       -       1       scache
                postlog   unix-dgram n  -       n       -       1       postlogd
                """);
        extraSmtpdPorts.forEach((name, port) -> {
            sb.append("127.0.0.1:").append(port).append(" inet n - n - - smtpd\n")
                    .append("  -o syslog_name=postfix/").append(name).append('\n');
            for (String o : options.extraSmtpd.get(name)) {
                sb.append("  -o ").append(o).append('\n');
            }
        });
        for (String line : options.masterCf) {
            sb.append(line).append('\n');
        }
        return sb.toString();
    }

    private void startSink() {
        // smtp-sink refuses to run as root without -u; the dump dir is owned by postfix for that reason.
        // -d writes one file per transaction, closed before the 250 reply to the final dot.
        List<String> cmd = List.of(Requirements.exe("smtp-sink"), "-u", "postfix",
                "-d", dir + "/sink/%Y%m%d%H%M%S.", "127.0.0.1:" + sinkPort, "128");
        try {
            sink = new ProcessBuilder(cmd)
                    .redirectErrorStream(true)
                    .redirectOutput(dir.resolve("sink.log").toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + String.join(" ", cmd), e);
        }
    }

    /**
     * Waits until {@code owner} listens on 127.0.0.1:{@code port} and nobody else does. Throws
     * {@link Ports.AddressInUse} when the owner died of a bind failure or another process listens on the port
     * (too); {@code log} tells why the owner died.
     */
    private void awaitOwnListener(String what, int port, long deadline, ProcessHandle owner,
            java.util.function.Supplier<String> log) {
        while (true) {
            Set<Long> listeners = Procs.listenerInodes(port);
            Set<Long> own = Procs.socketInodes(owner.pid());
            boolean ours = listeners.stream().anyMatch(own::contains);
            boolean foreign = listeners.stream().anyMatch(i -> !own.contains(i));
            if (ours && !foreign) {
                return;
            }
            if (ours) {
                throw new Ports.AddressInUse(what + " listens on 127.0.0.1:" + port
                        + ", but another process listens there as well");
            }
            if (!Procs.running(owner)) {
                String text = log.get();
                if (Ports.saysAddressInUse(text)) {
                    throw new Ports.AddressInUse(what + " could not bind 127.0.0.1:" + port + ": " + text.lines()
                            .filter(Ports::saysAddressInUse).findFirst().orElse(""));
                }
                throw new IllegalStateException(what + " (pid " + owner.pid() + ") exited before listening on "
                        + "127.0.0.1:" + port + ":\n" + tail(text, 40));
            }
            if (System.nanoTime() - deadline > 0 || !Procs.sleep(Duration.ofMillis(20))) {
                if (foreign) {
                    throw new Ports.AddressInUse("another process listens on 127.0.0.1:" + port + ", " + what
                            + " does not");
                }
                throw new IllegalStateException(what + " is not listening on 127.0.0.1:" + port
                        + " within " + options.startTimeout + "\nlog:\n" + tail(log.get(), 40));
            }
        }
    }

    private long readMasterPid() {
        Path pidFile = dir.resolve("q/pid/master.pid");
        try {
            return Long.parseLong(Files.readString(pidFile).strip());
        } catch (IOException | NumberFormatException e) {
            LOG.warn("cannot read {}: {}", pidFile, e.toString());
            return -1;
        }
    }

    // ------------------------------------------------------------------------------------------------ accessors

    /** The instance directory, e.g. {@code /tmp/pw-1a2b3c4d}. */
    public Path baseDir() {
        return dir;
    }

    /** The directory with main.cf and master.cf (what {@code -c} gets). */
    public Path configDir() {
        return dir.resolve("etc");
    }

    /** The plain smtpd on 127.0.0.1. */
    public int smtpdPort() {
        return smtpdPort;
    }

    /** The smtp-sink that {@code relayhost} points to. */
    public int sinkPort() {
        return sinkPort;
    }

    /** The port of an smtpd added with {@link Builder#smtpd(String, String...)}. */
    public int smtpdPort(String name) {
        Integer port = extraSmtpdPorts.get(name);
        if (port == null) {
            throw new IllegalStateException("no smtpd " + name + ": add it with Builder.smtpd(\"" + name + "\", ...)");
        }
        return port;
    }

    /** The SASL submission smtpd; only with {@link Builder#saslUser}. */
    public int submissionPort() {
        if (submissionPort < 0) {
            throw new IllegalStateException("no submission port: add a user with Builder.saslUser(...)");
        }
        return submissionPort;
    }

    /** The postscreen port; only with {@link Builder#postscreen(boolean)}. */
    public int postscreenPort() {
        if (postscreenPort < 0) {
            throw new IllegalStateException("no postscreen port: enable it with Builder.postscreen(true)");
        }
        return postscreenPort;
    }

    /** The Dovecot instance, if SASL users were configured. */
    public Dovecot dovecot() {
        if (dovecot == null) {
            throw new IllegalStateException("no dovecot: add a user with Builder.saslUser(...)");
        }
        return dovecot;
    }

    /**
     * Running processes of this instance: Postfix's master and daemons, the sink, Dovecot and their children.
     * Empty after {@link #close()}.
     */
    public List<ProcessHandle> processes() {
        return Procs.belongingTo(dir);
    }

    // ------------------------------------------------------------------------------------------------ maillog

    /** Postfix's log file ({@code maillog_file}, written by postlogd). */
    public Path maillog() {
        return dir.resolve("maillog");
    }

    /** The whole maillog so far (empty if there is none yet). */
    public String maillogText() {
        return read(maillog());
    }

    /** Maillog lines in which {@code pattern} is found. */
    public List<String> logLines(Pattern pattern) {
        return maillogText().lines().filter(l -> pattern.matcher(l).find()).toList();
    }

    /** Polls the maillog until a line matches {@code pattern}; returns that line or fails after {@code timeout}. */
    public String awaitLog(Pattern pattern, Duration timeout) {
        return awaitLog(pattern, 1, timeout).get(0);
    }

    /** Polls the maillog until at least {@code count} lines match; returns them or fails after {@code timeout}. */
    public List<String> awaitLog(Pattern pattern, int count, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            List<String> lines = logLines(pattern);
            if (lines.size() >= count) {
                return lines;
            }
            if (System.nanoTime() - deadline > 0 || !Procs.sleep(POLL)) {
                throw new AssertionError("expected " + count + " maillog line(s) matching /" + pattern
                        + "/ within " + timeout + ", saw " + lines.size() + "; maillog:\n" + tail(maillogText(), 60));
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ sink

    /**
     * Messages the sink has completely received, oldest first. Files smtp-sink still holds open (a transaction in
     * progress) are left out.
     */
    public List<SinkMessage> deliveredMessages() {
        Path sinkDir = dir.resolve("sink");
        List<Path> files;
        try (Stream<Path> s = Files.list(sinkDir)) {
            files = s.filter(Files::isRegularFile).toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + sinkDir, e);
        }
        Set<Path> open = sink != null && sink.isAlive() ? Procs.openFiles(sink.pid()) : Set.of();
        List<SinkMessage> out = new ArrayList<>();
        for (Path f : files) {
            if (open.contains(f)) {
                continue;
            }
            try {
                out.add(new SinkMessage(f, new String(Files.readAllBytes(f), StandardCharsets.UTF_8)));
            } catch (IOException e) {
                // an aborted transaction's file is unlinked by smtp-sink
            }
        }
        out.sort(Comparator.comparing((SinkMessage m) -> lastModified(m.file())).thenComparing(m -> m.file()));
        return out;
    }

    /** Polls until the sink has at least {@code n} messages; returns them or fails after {@code timeout}. */
    public List<SinkMessage> awaitDelivered(int n, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            List<SinkMessage> msgs = deliveredMessages();
            if (msgs.size() >= n) {
                return msgs;
            }
            if (System.nanoTime() - deadline > 0 || !Procs.sleep(POLL)) {
                throw new AssertionError("expected " + n + " message(s) at the sink within " + timeout + ", got "
                        + msgs.size() + "; queue: " + queueJson() + "\nmaillog:\n" + tail(maillogText(), 60));
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ commands

    /** {@code postqueue -j}: one JSON object per queued message (raw lines, empty when the queue is empty). */
    public List<String> queueJson() {
        return run("postqueue", "-c", configDir().toString(), "-j").output().lines()
                .filter(l -> !l.isBlank()).toList();
    }

    /** {@code postsuper -c <etc> args...} (e.g. {@code "-d", "ALL"}, {@code "-h", "ALL"}); returns its output. */
    public String postsuper(String... args) {
        List<String> cmd = new ArrayList<>(List.of(Requirements.exe("postsuper"), "-c", configDir().toString()));
        cmd.addAll(List.of(args));
        return Exec.run(CMD_TIMEOUT, cmd).requireOk().output();
    }

    /** {@code postqueue -f}: attempt delivery of everything queued now. */
    public void flush() {
        run("postqueue", "-c", configDir().toString(), "-f");
    }

    /** {@code postconf -c <etc> args...}, e.g. {@code "-e", "smtpd_milters = inet:127.0.0.1:9999"}. */
    public String postconf(String... args) {
        List<String> cmd = new ArrayList<>(List.of(Requirements.exe("postconf"), "-c", configDir().toString()));
        cmd.addAll(List.of(args));
        return Exec.run(CMD_TIMEOUT, cmd).requireOk().output();
    }

    /**
     * {@code postfix reload}, e.g. after {@link #postconf(String...)} {@code -e} or {@code -P}; returns once the
     * master has logged the reload and the smtpd and postscreen processes started before it have exited, so that
     * the next SMTP session runs with the new configuration.
     */
    public void reload() {
        List<ProcessHandle> old = Procs.belongingTo(dir).stream().filter(h -> h.info().command()
                .map(c -> c.endsWith("/smtpd") || c.endsWith("/postscreen")).orElse(false)).toList();
        int before = logLines(RELOADED).size();
        postfix("reload").requireOk();
        awaitLog(RELOADED, before + 1, CMD_TIMEOUT);
        if (!Procs.awaitGone(old, Duration.ofSeconds(10))) {
            throw new IllegalStateException("processes started before the reload of " + dir + " still run 10 s "
                    + "after it:\n" + Procs.describe(old.stream().filter(Procs::running).toList()));
        }
    }

    private Exec.Result postfix(String action) {
        return Exec.run(CMD_TIMEOUT, Requirements.exe("postfix"), "-c", configDir().toString(), action);
    }

    private Exec.Result run(String command, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Requirements.exe(command));
        cmd.addAll(List.of(args));
        return Exec.run(CMD_TIMEOUT, cmd).requireOk();
    }

    // ------------------------------------------------------------------------------------------------ close

    /**
     * {@code postfix stop}, stops Dovecot and the sink, kills (SIGKILL, by PID) any process of this instance that
     * is still running, then deletes the directory. Throws if something could not be stopped.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException | IllegalArgumentException e) {
            // already shutting down, or never registered
        }
        long t0 = System.nanoTime();
        List<String> problems = new ArrayList<>();
        String maillog = maillogText();
        stopProcesses(problems);
        if (!options.keepDir) {
            deleteTree(dir, problems);
        }
        LOG.info("postfix instance {} closed in {} ms", dir, (System.nanoTime() - t0) / 1_000_000);
        if (!problems.isEmpty()) {
            throw new IllegalStateException("closing " + dir + ": " + String.join("\n", problems)
                    + "\nmaillog:\n" + tail(maillog, 40));
        }
    }

    /**
     * {@code postfix stop}, stops Dovecot and the sink, kills (SIGKILL, by PID) any process of this instance that
     * is still running; adds what could not be stopped to {@code problems}.
     */
    private void stopProcesses(List<String> problems) {
        if (masterPid > 0 || Files.exists(dir.resolve("q/pid/master.pid"))) {
            Exec.Result r = postfix("stop");
            if (!r.ok() && masterPid > 0) {
                problems.add("postfix stop: " + r.describe());
            }
            ProcessHandle.of(masterPid).ifPresent(master -> {
                if (!Procs.awaitGone(List.of(master), Duration.ofSeconds(10))) {
                    problems.add("postfix master " + masterPid + " still running 10 s after postfix stop");
                }
            });
        }
        if (dovecot != null) {
            try {
                dovecot.close();
            } catch (RuntimeException e) {
                problems.add(e.getMessage());
            }
        }
        if (sink != null && !Procs.killTree(sink.toHandle(), Duration.ofSeconds(5))) {
            problems.add("smtp-sink " + sink.pid() + " survived SIGKILL");
        }
        // whatever is left (daemons finishing after master's SIGTERM, or anything after a failed stop)
        List<ProcessHandle> left = Procs.belongingTo(dir);
        if (!left.isEmpty() && !Procs.awaitGone(left, Duration.ofSeconds(5))) {
            List<ProcessHandle> still = left.stream().filter(Procs::running).toList();
            LOG.warn("killing leftover processes of {}:\n{}", dir, Procs.describe(still));
            if (!Procs.killAll(still, Duration.ofSeconds(5))) {
                problems.add("processes survived SIGKILL:\n" + Procs.describe(still));
            }
        }
        List<ProcessHandle> finalCheck = Procs.belongingTo(dir);
        if (!finalCheck.isEmpty()) {
            problems.add("processes of this instance still running:\n" + Procs.describe(finalCheck));
        }
        masterPid = -1;
        dovecot = null;
        sink = null;
    }

    private void closeQuietly() {
        try {
            close();
        } catch (RuntimeException e) {
            System.err.println("cleanup of " + dir + " failed: " + e.getMessage());
        }
    }

    private static void deleteTree(Path root, List<String> problems) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException | UncheckedIOException e) {
            problems.add("cannot delete " + root + ": " + e);
        }
    }

    private static FileTime lastModified(Path p) {
        try {
            return Files.getLastModifiedTime(p);
        } catch (IOException e) {
            return FileTime.fromMillis(0);
        }
    }

    private static String read(Path p) {
        try {
            return Files.exists(p) ? new String(Files.readAllBytes(p), StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            return "";
        }
    }

    static String tail(String text, int lines) {
        List<String> all = text.lines().toList();
        return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    }
}
