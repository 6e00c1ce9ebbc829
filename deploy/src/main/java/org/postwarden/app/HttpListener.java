package org.postwarden.app;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import org.postwarden.api.Suspensions;
import org.postwarden.config.HostPort;
import org.postwarden.config.PostwardenConfig;
import org.postwarden.model.Addresses;
import org.postwarden.runtime.DaemonContext;
import org.postwarden.runtime.Listener;
import org.postwarden.transport.ConnectionLimit;
import org.postwarden.transport.IdleClose;
import org.postwarden.transport.NettyServer;
import org.postwarden.transport.SourceConnectionLimit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * HTTP listener (default {@code 127.0.0.1:10035}): {@code /healthz} (process alive), {@code /readyz} (listeners
 * started), {@code /metrics} (Prometheus text format), the admin API under {@code /admin/} ({@link AdminApi}: bearer
 * token, loopback clients only by default) and the web console under {@code /ui/} ({@link Console}).
 *
 * <p>Served by Netty's HTTP/1.1 codec on one event loop of its own, with limits that keep a few slow or many
 * clients from freezing it: {@code http.max-connections} in total and {@code http.max-connections-per-source} from
 * one address (closed at once beyond), a request must be complete within {@code http.request-timeout} of its first
 * byte (else 408 and close), an idle keep-alive connection is closed after {@code http.idle-timeout}, request lines
 * and headers are bounded and bodies are at most {@link AdminApi#MAX_BODY} bytes (413). Health, readiness and
 * metrics are answered on the event loop (in memory, no waiting); the admin API and the console run on
 * {@value #WORKERS} worker threads with a bounded queue (503 when full), since a release or purge runs
 * {@code postsuper} and a ban writes a snapshot.
 */
public final class HttpListener implements Listener {
    private static final Logger LOG = LoggerFactory.getLogger(HttpListener.class);
    static final String NAME = "http";
    static final int WORKERS = 4;
    static final int QUEUE = 64;
    static final int MAX_INITIAL_LINE = 8192;
    static final int MAX_HEADERS = 16384;
    private final DaemonContext context;
    private final ReloadCoordinator reloads;
    private final Suspensions suspensions;
    private final OpsMetrics ops;
    private NettyServer server;
    private ThreadPoolExecutor pool;
    private InetSocketAddress bound;
    private Console console;

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
        return NAME;
    }

    @Override
    public void start() {
        PostwardenConfig.Http cfg = context.startConfig().http();
        HostPort listen = HostPort.parse(cfg.listen());
        AdminAuth auth = new AdminAuth(context.startConfig());
        if (reloads != null) {
            reloads.onReload(auth::reload);
        }
        AdminApi admin = new AdminApi(context, auth, reloads, suspensions, ops);
        console = new Console(context, auth, reloads, suspensions, ops, admin);
        pool = new ThreadPoolExecutor(WORKERS, WORKERS, 30, TimeUnit.SECONDS, new ArrayBlockingQueue<>(QUEUE), r -> {
            Thread t = new Thread(r, "postwarden-http");
            t.setDaemon(true);
            return t;
        });
        ConnectionLimit limit = ConnectionLimit.forListener(NAME, cfg.maxConnections(), context.metrics());
        SourceConnectionLimit perSource = new SourceConnectionLimit(cfg.maxConnectionsPerSource(), (ch, max) -> {
            context.metrics().protocolError(NAME, "too-many-from-source");
            LOG.warn("http: refusing connection from {}: {} concurrent connections from one address is the limit"
                    + " (http.max-connections-per-source)", Addresses.format(ch.remoteAddress()), max);
        });
        server = NettyServer.singleThread(NAME, "postwarden-http-io");
        try {
            bound = server.bindTcp(listen.socketAddress(), ch -> init(ch, cfg, limit, perSource, admin));
        } catch (Exception e) {
            pool.shutdownNow();
            throw org.postwarden.runtime.StartupFailure.of("http.listen", cfg.listen(), e);
        }
        if (!listen.loopback()) {
            LOG.warn("HTTP listener bound to non-loopback address {}", Addresses.format(bound));
        }
    }

    private void init(SocketChannel ch, PostwardenConfig.Http cfg, ConnectionLimit limit,
            SourceConnectionLimit perSource, AdminApi admin) {
        HttpDeadline deadline = new HttpDeadline(cfg.requestTimeout(),
                () -> context.metrics().protocolError(NAME, "slow-request"));
        ch.pipeline()
                .addLast("limit", limit)
                .addLast("per-source", perSource)
                .addLast("idle", new IdleClose(NAME, cfg.idleTimeout()))
                .addLast("deadline", deadline)
                .addLast("codec", new HttpServerCodec(MAX_INITIAL_LINE, MAX_HEADERS, 8192))
                .addLast("aggregator", new Aggregator(AdminApi.MAX_BODY))
                .addLast("handler", new HttpRequestHandler(deadline, this::inline, c -> offLoop(c, admin), pool));
    }

    /** The answers that need no waiting, given on the event loop; null for the others. */
    private HttpAnswer inline(HttpCall c) {
        return switch (c.path()) {
            case "/healthz" -> count("healthz", getOnly(c, HttpAnswer.text(200, "ok\n")));
            case "/readyz" -> {
                boolean ready = context.ready();
                yield count("readyz", getOnly(c, HttpAnswer.text(ready ? 200 : 503, ready ? "ready\n"
                        : context.notReadyReason().map(r -> "not ready: " + r + "\n").orElse("not ready\n"))));
            }
            case "/metrics" -> count("metrics", getOnly(c, HttpAnswer.of(200, "text/plain; version=0.0.4; charset=utf-8",
                    context.metrics().scrape().getBytes(java.nio.charset.StandardCharsets.UTF_8))));
            default -> null;
        };
    }

    private HttpAnswer offLoop(HttpCall c, AdminApi admin) {
        String p = c.path();
        if (p.startsWith("/admin/")) {
            return admin.handle(c);
        }
        if (p.equals("/ui") || p.startsWith("/ui/")) {
            return console.handle(c);
        }
        return count("other", getOnly(c, HttpAnswer.text(404, "not found\n")));
    }

    private HttpAnswer count(String endpoint, HttpAnswer a) {
        ops.http(endpoint, a.status());
        return a;
    }

    /** {@code a} for a GET or HEAD; 405 for anything else. */
    static HttpAnswer getOnly(HttpCall c, HttpAnswer a) {
        if (!"GET".equals(c.method()) && !"HEAD".equals(c.method())) {
            return HttpAnswer.text(405, "method not allowed\n").with("Allow", "GET, HEAD");
        }
        return a;
    }

    public InetSocketAddress boundAddress() {
        return bound;
    }

    /** The console (for the decision ring and tests). */
    Console console() {
        return console;
    }

    @Override
    public String address() {
        return bound == null ? "(not started)" : Addresses.format(bound);
    }

    @Override
    public void stop(Duration grace) {
        if (console != null) {
            console.close();
        }
        if (server != null) {
            server.stop(Duration.ofMillis(Math.min(grace.toMillis(), 1000)));
            pool.shutdownNow();
        }
    }

    /** Aggregation with the body limit answered as the admin API's JSON 413, then closed. */
    private static final class Aggregator extends HttpObjectAggregator {
        Aggregator(int max) {
            super(max);
        }

        @Override
        protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
            HttpRequestHandler.write(ctx.channel(), HttpAnswer.of(413, "application/json; charset=utf-8",
                    ("{\n  \"error\" : \"request body larger than " + AdminApi.MAX_BODY + " bytes\"\n}")
                            .getBytes(java.nio.charset.StandardCharsets.UTF_8)).closing(), false, false);
        }
    }
}
