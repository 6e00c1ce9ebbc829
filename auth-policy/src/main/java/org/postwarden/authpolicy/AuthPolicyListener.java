package org.postwarden.authpolicy;

import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpServerCodec;
import org.postwarden.authpolicy.codec.ApiSecret;
import org.postwarden.authpolicy.codec.AuthPolicyReplyEncoder;
import org.postwarden.authpolicy.codec.AuthPolicyRequestDecoder;
import org.postwarden.authpolicy.codec.BoundedAggregator;
import org.postwarden.authpolicy.handler.AuthPolicyHandler;
import org.postwarden.config.PostwardenConfig;
import org.postwarden.runtime.DaemonContext;
import org.postwarden.transport.ConnectionLimit;
import org.postwarden.transport.IdleClose;
import org.postwarden.transport.InputBudget;
import org.postwarden.transport.RequestDeadline;
import org.postwarden.transport.TcpListener;

import java.util.concurrent.atomic.AtomicInteger;

/** The Dovecot auth-policy listener (default {@code 127.0.0.1:10036}). */
public final class AuthPolicyListener extends TcpListener {
    /** The listener's bounded name (metric label, thread names, log lines). */
    public static final String NAME = "auth-policy";
    /** Longest request line (method, path, query). */
    static final int MAX_INITIAL_LINE = 4096;
    /** Longest header block. */
    static final int MAX_HEADERS = 8192;

    private final DaemonContext context;
    private final PostwardenConfig.AuthPolicy config;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final ConnectionLimit limit;
    private final AuthPolicyReplyEncoder encoder = new AuthPolicyReplyEncoder();
    private final InputBudget budget;
    private ApiSecret secret;

    public AuthPolicyListener(DaemonContext context) {
        super(NAME, context.startConfig().authPolicy().listen(), "unanswered requests");
        this.context = context;
        this.config = context.startConfig().authPolicy();
        this.limit = ConnectionLimit.forListener(NAME, config.maxConnections(), context.metrics());
        this.budget = new InputBudget(NAME, config.maxBufferedBytes(), "auth-policy.max-buffered-bytes")
                .register(context.metrics());
    }

    /** The buffered input of all connections (for tests). */
    public InputBudget inputBudget() {
        return budget;
    }

    /** Reads the API secret (when configured), then binds. */
    @Override
    public void start() {
        secret = ApiSecret.load(config.apiHeader(), config.apiSecretFile());
        super.start();
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        ch.pipeline()
                .addLast("limit", limit)
                .addLast("idle", new IdleClose(NAME, config.idleTimeout()))
                .addLast("deadline", new RequestDeadline(config.requestTimeout(), "auth-policy.request-timeout", budget))
                .addLast("http", new HttpServerCodec(MAX_INITIAL_LINE, MAX_HEADERS, 8192))
                .addLast("aggregator", new BoundedAggregator(config.maxRequestBytes()))
                .addLast("decoder", new AuthPolicyRequestDecoder(secret))
                .addLast("encoder", encoder)
                .addLast("handler", new AuthPolicyHandler(context, inFlight));
    }

    @Override
    protected int inFlight() {
        return inFlight.get();
    }
}
