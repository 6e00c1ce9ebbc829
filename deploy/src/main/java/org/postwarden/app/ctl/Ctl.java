package org.postwarden.app.ctl;

import com.fasterxml.jackson.databind.JsonNode;
import org.postwarden.config.ConfigException;
import org.postwarden.config.HostPort;
import org.postwarden.config.PostwardenConfig;
import org.postwarden.config.load.ConfigLoader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code postwarden ctl …}: talks to a running daemon's admin API. */
@Command(name = "ctl", mixinStandardHelpOptions = true,
        description = {"Control a running daemon through its admin API (loopback HTTP, bearer token).",
            "Exit status: 0 done, 1 refused or failed, 2 usage, 3 daemon unreachable or token unreadable."},
        subcommands = {Ctl.Status.class, Ctl.Explain.class, Ctl.Bans.class, Ctl.Suspended.class, Ctl.Release.class,
            Ctl.Purge.class, Ctl.Reload.class, Ctl.Report.class, Ctl.AckCorrupt.class})
public final class Ctl implements Runnable {
    static final int REFUSED = 1;
    static final int UNREACHABLE = 3;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = {"-c", "--config"}, paramLabel = "FILE",
            description = "The daemon's config: where to find http.listen and admin.token-file (default: the embedded default)")
    Path config;

    @Option(names = "--url", paramLabel = "URL", description = "Admin API base URL (default: from http.listen, e.g. http://127.0.0.1:10035)")
    URI url;

    @Option(names = "--token-file", paramLabel = "FILE", description = "Bearer token file (default: admin.token-file)")
    Path tokenFile;

    @Option(names = "--json", description = "Print the API's JSON instead of tables")
    boolean json;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "30", description = "Give up after this long (default: ${DEFAULT-VALUE})")
    int timeoutSeconds;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    PrintWriter out() {
        return spec.commandLine().getOut();
    }

    PrintWriter err() {
        return spec.commandLine().getErr();
    }

    /** The client, from the options and the daemon's config. */
    AdminClient client() throws AdminClient.Unreachable {
        PostwardenConfig cfg = null;
        if (url == null || tokenFile == null) {
            try {
                cfg = config == null ? ConfigLoader.loadDefault() : ConfigLoader.load(config);
            } catch (ConfigException e) {
                throw new AdminClient.Unreachable("cannot read the daemon's config to find the admin API: "
                        + e.getMessage() + "\n(or give --url and --token-file)");
            }
        }
        URI base = url != null ? url : baseUrl(cfg.http().listen());
        Path tf = tokenFile;
        if (tf == null) {
            if (cfg.admin().tokenFile().isBlank()) {
                throw new AdminClient.Unreachable("the admin API is disabled in the config (admin.token-file is \"\")");
            }
            tf = org.postwarden.app.AdminTokenFile.of(cfg);
        }
        return new AdminClient(base, readToken(tf), Duration.ofSeconds(Math.max(1, timeoutSeconds)));
    }

    /** The base URL for a listen address; wildcard addresses are reached through loopback. */
    static URI baseUrl(String listen) {
        HostPort hp = HostPort.parse(listen);
        String host = hp.host();
        if (host.equals("0.0.0.0")) {
            host = "127.0.0.1";
        } else if (host.equals("::") || host.equals("0:0:0:0:0:0:0:0")) {
            host = "::1";
        }
        return URI.create("http://" + (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + hp.port());
    }

    static String readToken(Path file) throws AdminClient.Unreachable {
        try (InputStream in = Files.newInputStream(file)) {
            String t = new String(in.readNBytes(4096), StandardCharsets.UTF_8);
            int nl = t.indexOf('\n');
            t = (nl < 0 ? t : t.substring(0, nl)).trim();
            if (t.isEmpty()) {
                throw new AdminClient.Unreachable("token file " + file + " is empty");
            }
            return t;
        } catch (IOException e) {
            throw new AdminClient.Unreachable("cannot read token file " + file + ": " + e.getMessage()
                    + " (run as the daemon's user or root, or give --token-file)");
        }
    }

    /** Sends, prints (JSON or human), returns the exit status. */
    int call(String method, String path, Map<String, String> query, Object body,
            java.util.function.BiConsumer<JsonNode, Human> render) {
        AdminClient.Reply r;
        try {
            r = client().send(method, path, query, body);
        } catch (AdminClient.Unreachable e) {
            err().println("postwarden ctl: " + e.getMessage());
            err().flush();
            return UNREACHABLE;
        }
        if (json) {
            try {
                out().println(AdminClient.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(r.body()));
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        } else if (r.ok() || r.body().get("error") == null) {
            render.accept(r.body(), new Human(out()));
        }
        if (!r.ok()) {
            if (!json && r.body().get("error") != null) {
                err().println("postwarden ctl: " + r.error());
            }
            err().flush();
            out().flush();
            return r.status() == 401 || r.status() == 403 || r.status() == 503 ? UNREACHABLE : REFUSED;
        }
        out().flush();
        return 0;
    }

    // ---- subcommands ----------------------------------------------------------------------------------------

    @Command(name = "status", description = "Listeners, configuration, last reload, store sizes, decisions so far.")
    static final class Status implements Callable<Integer> {
        @ParentCommand
        Ctl ctl;

        @Override
        public Integer call() {
            return ctl.call("GET", "status", Map.of(), null, (j, h) -> h.status(j));
        }
    }

    @Command(name = "explain", description = {"Why a client address or SASL user is treated as it is: scores, signals "
            + "with ages, limits with their counts, bans, recent decisions with the checks that fired.",
        "An argument with '@' or without '.'/':' is taken as a user; force with --user or --ip."})
    static final class Explain implements Callable<Integer> {
        @ParentCommand
        Ctl ctl;

        @Parameters(paramLabel = "IP|USER")
        String target;

        @Option(names = "--user", description = "Treat the argument as a SASL user name")
        boolean user;

        @Option(names = "--ip", description = "Treat the argument as a client address")
        boolean ip;

        @Override
        public Integer call() {
            boolean asUser = user || !ip && looksLikeUser(target);
            return ctl.call("GET", "explain", Map.of(asUser ? "user" : "ip", target), null,
                    (j, h) -> h.explain(j));
        }

        static boolean looksLikeUser(String s) {
            return s.indexOf('@') >= 0 || s.indexOf('.') < 0 && s.indexOf(':') < 0;
        }
    }

    @Command(name = "bans", description = "List, add or remove bans.",
            subcommands = {Bans.ListBans.class, Bans.Add.class, Bans.Remove.class})
    static final class Bans implements Runnable {
        @ParentCommand
        Ctl ctl;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public void run() {
            spec.commandLine().usage(spec.commandLine().getOut());
        }

        @Command(name = "list", description = "Active bans, newest first.")
        static final class ListBans implements Callable<Integer> {
            @ParentCommand
            Bans bans;

            @Override
            public Integer call() {
                return bans.ctl.call("GET", "bans", Map.of(), null, (j, h) -> h.bans(j.get("bans")));
            }
        }

        @Command(name = "add", description = "Ban a client network: an IPv4 /32 or /24, or an IPv6 /128, /64, a tier "
                + "of networks.ipv6-tiers or the wide prefix (a bare address means the host; any valid address form).")
        static final class Add implements Callable<Integer> {
            @ParentCommand
            Bans bans;

            @Parameters(paramLabel = "CIDR")
            String cidr;

            @Option(names = "--duration", paramLabel = "DURATION",
                    description = "e.g. 1h, 1d, 1w, or permanent: an override (default: the next step of "
                            + "bans.durations for this network's earlier bans, as for bans from the logs)")
            String duration;

            @Option(names = "--reason", paramLabel = "TEXT", description = "Why (kept with the ban, shown in explain)")
            String reason;

            @Override
            public Integer call() {
                Map<String, String> body = new LinkedHashMap<>();
                body.put("cidr", cidr);
                if (duration != null) {
                    body.put("duration", duration);
                }
                if (reason != null) {
                    body.put("reason", reason);
                }
                return bans.ctl.call("POST", "bans", Map.of(), body, (j, h) -> h.banAdded(j));
            }
        }

        @Command(name = "remove", description = "Lift the ban on a client network.")
        static final class Remove implements Callable<Integer> {
            @ParentCommand
            Bans bans;

            @Parameters(paramLabel = "CIDR")
            String cidr;

            @Override
            public Integer call() {
                return bans.ctl.call("DELETE", "bans", Map.of("cidr", cidr), null,
                        (j, h) -> h.line("ban lifted: " + j.path("removed").asText()));
            }
        }
    }

    @Command(name = "suspended", description = "List the senders the outbound guard suspended: since when, why, "
            + "how many messages were held.")
    static final class Suspended implements Callable<Integer> {
        @ParentCommand
        Ctl ctl;

        @Override
        public Integer call() {
            return ctl.call("GET", "suspensions", Map.of(), null, (j, h) -> h.suspensions(j));
        }
    }

    @Command(name = "release", description = {"Lift the outbound suspension of a sender and release its held "
            + "messages from the hold queue (postsuper -H).", HeldMessages.SENDER})
    static final class Release extends HeldMessages {
        @Override
        public Integer call() {
            return post("release", "released", "released from the hold queue");
        }
    }

    @Command(name = "purge", description = {"Delete the held messages of a suspended sender (postsuper -d); the "
            + "suspension stays until released.", HeldMessages.SENDER})
    static final class Purge extends HeldMessages {
        @Override
        public Integer call() {
            return post("purge", "purged", "deleted from the hold queue");
        }
    }

    /** {@code release} and {@code purge}: what to do with a suspended sender's held messages. */
    abstract static class HeldMessages implements Callable<Integer> {
        static final String SENDER = "SENDER: a SASL user name, a client address (trusted network), or user:NAME / "
                + "client:ADDRESS.";

        @ParentCommand
        Ctl ctl;

        @Parameters(paramLabel = "SENDER")
        String subject;

        /**
         * POSTs the sender to {@code endpoint} and prints the outcome.
         *
         * @param done the reply's key for the suspension, also the line's first word
         * @param what what became of the messages, as printed
         */
        int post(String endpoint, String done, String what) {
            return ctl.call("POST", endpoint, Map.of("subject", subject), null, (j, h) -> h.queueAction(done, what, j));
        }
    }

    @Command(name = "reload", description = "Reload the configuration; an invalid one is refused with its errors "
            + "and the running one stays.")
    static final class Reload implements Callable<Integer> {
        @ParentCommand
        Ctl ctl;

        @Override
        public Integer call() {
            return ctl.call("POST", "reload", Map.of(), null, (j, h) -> h.reload(j));
        }
    }

    @Command(name = "ack-corrupt", description = "Acknowledge that the state snapshot was corrupt at start (it is "
            + "kept aside as NAME.corrupt-TIME; the daemon serves with the bans and suspensions of its journal): "
            + "the daemon reports ready again (store.on-corrupt: wait-for-admin).")
    static final class AckCorrupt implements Callable<Integer> {
        @ParentCommand
        Ctl ctl;

        @Override
        public Integer call() {
            return ctl.call("POST", "ack-corrupt", Map.of(), null, (j, h) -> h.ackCorrupt(j));
        }
    }

    @Command(name = "report", description = "Top offenders, live: by score per key level, by category (the checks "
            + "that fired recently), by message rate per SASL user; active bans.")
    static final class Report implements Callable<Integer> {
        @ParentCommand
        Ctl ctl;

        @Option(names = "--top", paramLabel = "N", defaultValue = "10", description = "Entries per list (default: ${DEFAULT-VALUE})")
        int top;

        @Override
        public Integer call() {
            return ctl.call("GET", "report", Map.of("top", Integer.toString(top)), null, (j, h) -> h.report(j));
        }
    }
}
