package org.postwarden.app;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.postwarden.api.Suspensions;
import org.postwarden.config.HostPort;
import org.postwarden.model.Addresses;
import org.postwarden.runtime.DaemonContext;
import org.postwarden.runtime.Listener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * HTTP listener (default {@code 127.0.0.1:10035}): {@code /healthz} (process alive), {@code /readyz} (listeners
 * started), {@code /metrics} (Prometheus text format), and the admin API under {@code /admin/} ({@link AdminApi}:
 * bearer token, loopback clients only by default). Runs on four worker threads of its own (never a Netty event
 * loop), so a slow admin report does not hold up a scrape.
 */
public final class HttpListener implements Listener {
    private static final Logger LOG = LoggerFactory.getLogger(HttpListener.class);
    private final DaemonContext context;
    private final ReloadCoordinator reloads;
    private final Suspensions suspensions;
    private final OpsMetrics ops;
    private HttpServer server;
    private ExecutorService pool;

    public HttpListener(DaemonContext context) {
        this(context, null, Suspensions.NONE, null);
    }

    /**
     * @param reloads     reloads for {@code POST /admin/reload} and the status page, or null (reload unavailable)
     * @param suspensions outbound suspensions for {@code release}
     * @param ops         the daemon's operations metrics, or null to register them here
     */
    public HttpListener(DaemonContext context, ReloadCoordinator reloads, Suspensions suspensions, OpsMetrics ops) {
        this.context = context;
        this.reloads = reloads;
        this.suspensions = suspensions;
        this.ops = ops != null ? ops : new OpsMetrics(context.metrics(), AdminApi.version());
    }

    @Override
    public String name() {
        return "http";
    }

    @Override
    public void start() throws IOException {
        HostPort listen = HostPort.parse(context.startConfig().http().listen());
        try {
            server = HttpServer.create(listen.socketAddress(), 64);
        } catch (IOException e) {
            throw org.postwarden.runtime.StartupFailure.of("http.listen", context.startConfig().http().listen(), e);
        }
        pool = Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "postwarden-http");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(pool);
        server.createContext("/healthz", ex -> ops.http("healthz", respond(ex, 200, "text/plain", "ok\n")));
        server.createContext("/readyz", ex -> {
            boolean ready = context.ready();
            ops.http("readyz", respond(ex, ready ? 200 : 503, "text/plain", ready ? "ready\n" : "not ready\n"));
        });
        server.createContext("/metrics", ex -> ops.http("metrics", respond(ex, 200,
                "text/plain; version=0.0.4; charset=utf-8", context.metrics().scrape())));
        AdminAuth auth = new AdminAuth(context.startConfig());
        if (reloads != null) {
            reloads.onReload(auth::reload);
        }
        server.createContext("/admin/", new AdminApi(context, auth, reloads, suspensions, ops));
        server.createContext("/", ex -> ops.http("other", respond(ex, 404, "text/plain", "not found\n")));
        server.start();
        if (!listen.loopback()) {
            LOG.warn("HTTP listener bound to non-loopback address {}", listen);
        }
    }

    /** Answers a GET or HEAD (anything else gets 405); returns the status sent. */
    static int respond(HttpExchange ex, int status, String type, String body) throws IOException {
        try (ex) {
            if (!"GET".equals(ex.getRequestMethod()) && !"HEAD".equals(ex.getRequestMethod())) {
                byte[] b = "method not allowed\n".getBytes(StandardCharsets.UTF_8);
                ex.getResponseHeaders().set("Allow", "GET, HEAD");
                ex.sendResponseHeaders(405, b.length);
                ex.getResponseBody().write(b);
                return 405;
            }
            byte[] b = body.getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", type);
            if ("HEAD".equals(ex.getRequestMethod())) {
                ex.sendResponseHeaders(status, -1);
                return status;
            }
            ex.sendResponseHeaders(status, b.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(b);
            }
            return status;
        }
    }

    public InetSocketAddress boundAddress() {
        return server.getAddress();
    }

    @Override
    public String address() {
        return server == null ? "(not started)" : Addresses.format(server.getAddress());
    }

    @Override
    public void stop(Duration grace) {
        if (server != null) {
            server.stop(0);
            pool.shutdownNow();
        }
    }
}
