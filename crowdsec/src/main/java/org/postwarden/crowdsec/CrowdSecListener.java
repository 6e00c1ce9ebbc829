package org.postwarden.crowdsec;

import com.fasterxml.jackson.databind.JsonNode;
import org.postwarden.config.PostwardenConfig;
import org.postwarden.metrics.PostwardenMetrics;
import org.postwarden.reputation.Ban;
import org.postwarden.runtime.DaemonContext;
import org.postwarden.runtime.Listener;
import org.postwarden.runtime.ListenerFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Runs the CrowdSec bouncer and source (whichever {@code crowdsec:} enables at start-up) on the thread
 * {@code postwarden-crowdsec}; the HTTP calls are asynchronous and complete on {@code postwarden-crowdsec-http}. A
 * round starts only when the previous one has finished. LAPI down: nothing is undone (the bans already made expire
 * as CrowdSec said), one warning per outage and direction, {@code postwarden_crowdsec_errors_total} counts each
 * failed round, {@code postwarden_crowdsec_lapi_up} says 0.
 */
public final class CrowdSecListener implements Listener {
    private static final Logger LOG = LoggerFactory.getLogger(CrowdSecListener.class);
    private final DaemonContext context;
    private final PostwardenConfig.CrowdSec config;
    private ScheduledExecutorService thread;
    private ExecutorService httpThreads;
    private final Direction bouncerState = new Direction("bouncer");
    private final Direction sourceState = new Direction("source");
    private Lapi lapi;
    private DecisionSync sync;
    private String apiKey;
    private boolean startup = true;
    private BanPush push;
    private String machine;
    private String password;
    private volatile String token;

    CrowdSecListener(DaemonContext context) {
        this.context = context;
        this.config = context.startConfig().crowdsec();
    }

    static boolean wanted(PostwardenConfig c) {
        return c.crowdsec().bouncer().enabled() || c.crowdsec().source().enabled();
    }

    @Override
    public String name() {
        return "crowdsec";
    }

    @Override
    public void start() throws IOException {
        PostwardenMetrics metrics = context.metrics();
        if (config.bouncer().enabled()) {
            apiKey = firstLine(Path.of(config.bouncer().apiKeyFile()), "crowdsec.bouncer.api-key-file");
            sync = new DecisionSync(context.engine(), context.time(), config.bouncer().types(),
                    config.bouncer().maxDecisions(), config.source().enabled() ? config.source().scenarioPrefix() : "",
                    metrics);
            metrics.gauge("postwarden.crowdsec.decision.bans", "CrowdSec decisions currently held as bans",
                    () -> sync.decisions());
        }
        if (config.source().enabled()) {
            readCredentials(Path.of(config.source().credentialsFile()));
            push = new BanPush(config.source().scenarioPrefix());
        }
        httpThreads = Executors.newFixedThreadPool(2, r -> daemon(r, "postwarden-crowdsec-http"));
        // HTTP/1.1: the JDK's default h2c upgrade on a POST loses the body with the LAPI's Go server
        lapi = new Lapi(HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).executor(httpThreads)
                .connectTimeout(config.timeout()).build(),
                config.lapiUrl(), config.timeout());
        thread = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "postwarden-crowdsec"));
        if (sync != null) {
            bouncerState.register(metrics);
            thread.scheduleWithFixedDelay(this::pollDecisions, 0, config.bouncer().pollInterval().toMillis(),
                    TimeUnit.MILLISECONDS);
        }
        if (push != null) {
            sourceState.register(metrics);
            thread.scheduleWithFixedDelay(this::pushBans, config.source().interval().toMillis(),
                    config.source().interval().toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    private void pollDecisions() {
        if (!bouncerState.begin()) {
            return;
        }
        boolean first = startup;
        lapi.stream(apiKey, first).thenAcceptAsync(answer -> {
            DecisionSync.Result r = sync.apply(answer, first);
            startup = false;
            if (r.banned() + r.lifted() > 0) {
                LOG.info("CrowdSec decisions: {} banned, {} lifted, {} skipped", r.banned(), r.lifted(), r.skipped());
            }
        }, thread).whenComplete((v, e) -> bouncerState.end(e, context.metrics(), config.lapiUrl()));
    }

    private void pushBans() {
        if (!sourceState.begin()) {
            return;
        }
        long now = context.time().millis();
        List<Ban> due = push.due(context.engine().bans(), now);
        if (due.isEmpty()) {
            sourceState.end(null, context.metrics(), config.lapiUrl());
            return;
        }
        JsonNode body = push.alerts(due, now);
        CompletableFuture<String> login = token != null ? CompletableFuture.completedFuture(token)
                : lapi.login(machine, password);
        login.thenCompose(t -> {
            token = t;
            return lapi.alerts(t, body);
        }).thenAcceptAsync(answer -> {
            push.pushed(due);
            context.metrics().counter("postwarden.crowdsec.alerts.pushed",
                    "Postwarden bans pushed to CrowdSec as alerts").increment(due.size());
            LOG.info("pushed {} ban(s) to CrowdSec", due.size());
        }, thread).whenComplete((v, e) -> {
            if (e != null && cause(e) instanceof Lapi.LapiException le && le.status() == 401) {
                token = null; // expired: log in again next round
            }
            sourceState.end(e, context.metrics(), config.lapiUrl());
        });
    }

    private static Throwable cause(Throwable e) {
        return e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
    }

    private void readCredentials(Path file) throws IOException {
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            int colon = line.indexOf(':');
            if (colon < 0 || line.startsWith("#")) {
                continue;
            }
            String k = line.substring(0, colon).trim();
            String v = line.substring(colon + 1).trim().replaceAll("^\"|\"$", "").replaceAll("^'|'$", "");
            if (k.equals("login")) {
                machine = v;
            } else if (k.equals("password")) {
                password = v;
            }
        }
        if (machine == null || machine.isEmpty() || password == null || password.isEmpty()) {
            throw new IOException("crowdsec.source.credentials-file " + file
                    + ": expected lines 'login: NAME' and 'password: SECRET' (cscli machines add NAME --auto -f FILE)");
        }
    }

    private static String firstLine(Path file, String key) throws IOException {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            throw new IOException(key + " " + file + ": cannot read (" + e.getMessage()
                    + "); write the key of `cscli bouncers add postwarden -o raw` there", e);
        }
        int nl = text.indexOf('\n');
        String key1 = (nl < 0 ? text : text.substring(0, nl)).strip();
        if (key1.isEmpty()) {
            throw new IOException(key + " " + file + ": empty (expected the bouncer's API key)");
        }
        return key1;
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    @Override
    public void stop(Duration grace) {
        if (thread != null) {
            Listener.shutdown(thread, grace);
        }
        if (httpThreads != null) {
            Listener.shutdown(httpThreads, grace);
        }
    }

    @Override
    public String address() {
        return "CrowdSec LAPI " + config.lapiUrl() + " (" + (config.bouncer().enabled() ? "bouncer" : "")
                + (config.bouncer().enabled() && config.source().enabled() ? ", " : "")
                + (config.source().enabled() ? "source" : "") + ")";
    }

    /** One direction's round in flight and up/down state (logged once per outage). */
    private static final class Direction {
        private final String name;
        private final AtomicBoolean busy = new AtomicBoolean();
        private volatile boolean up = true;
        private volatile boolean everUp;

        Direction(String name) {
            this.name = name;
        }

        void register(PostwardenMetrics m) {
            m.gauge("postwarden.crowdsec.lapi.up", "1 when the last round with the CrowdSec LAPI succeeded",
                    () -> up && everUp ? 1 : 0, "direction", name);
        }

        boolean begin() {
            return busy.compareAndSet(false, true);
        }

        void end(Throwable e, PostwardenMetrics m, String url) {
            try {
                if (e == null) {
                    if (!up) {
                        LOG.info("CrowdSec LAPI {} reachable again ({})", url, name);
                    }
                    up = true;
                    everUp = true;
                    return;
                }
                m.counter("postwarden.crowdsec.errors", "failed rounds with the CrowdSec LAPI", "direction",
                        name).increment();
                if (up) {
                    LOG.warn("CrowdSec LAPI {} failed ({}): {}; {}", url, name, cause(e).toString(),
                            name.equals("bouncer") ? "the bans from its decisions stay until they expire"
                                    : "Postwarden's bans are pushed when it is back");
                }
                up = false;
            } finally {
                busy.set(false);
            }
        }
    }

    /** Registers the CrowdSec listener (ServiceLoader) when the bouncer or the source is enabled. */
    public static final class Factory implements ListenerFactory {
        @Override
        public Optional<Listener> create(DaemonContext context) {
            return wanted(context.startConfig()) ? Optional.of(new CrowdSecListener(context)) : Optional.empty();
        }
    }
}
