package org.postwarden.authpolicy.codec;

import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageDecoder;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.QueryStringDecoder;
import org.postwarden.api.AuthAttempt;
import org.postwarden.transport.ProtocolException;
import org.postwarden.transport.RequestDeadline;

import java.util.List;
import java.util.Map;

/**
 * A whole HTTP request → an {@link AuthPolicyRequest}: it must be well-formed, a {@code POST} with
 * {@code command=allow} or {@code command=report} in the query (any path: Dovecot's URL is the admin's), carry the
 * API header when one is configured, and have a JSON object body ({@link AuthJson}). Anything else is a
 * {@link ProtocolException} whose reason names the HTTP status ({@link HttpProblems}). After an error nothing more
 * is decoded (the handler closes the connection). One instance per connection.
 */
public final class AuthPolicyRequestDecoder extends MessageToMessageDecoder<FullHttpRequest> {
    private static final int SAMPLE = 120;
    private final ApiSecret secret;
    private boolean failed;

    public AuthPolicyRequestDecoder(ApiSecret secret) {
        super(FullHttpRequest.class);
        this.secret = secret;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, FullHttpRequest req, List<Object> out) {
        if (failed) {
            return;
        }
        RequestDeadline deadline = ctx.pipeline().get(RequestDeadline.class);
        if (deadline != null) {
            deadline.complete();
        }
        try {
            out.add(decode(req, secret));
        } catch (ProtocolException e) {
            failed = true;
            throw e;
        }
    }

    /** Decodes one request (the rules above); exposed for tests. */
    public static AuthPolicyRequest decode(FullHttpRequest req, ApiSecret secret) {
        if (req.decoderResult().isFailure()) {
            Throwable c = req.decoderResult().cause();
            throw new ProtocolException(HttpProblems.BAD_REQUEST, "malformed HTTP request: "
                    + (c == null ? "?" : c.getClass().getSimpleName() + ": " + c.getMessage()));
        }
        if (!HttpMethod.POST.equals(req.method())) {
            throw new ProtocolException(HttpProblems.METHOD, "method " + req.method().name() + " (expected POST)");
        }
        if (!secret.accepts(req.headers())) {
            // the value is never logged; only whether the header was there
            throw new ProtocolException(HttpProblems.UNAUTHORIZED, (req.headers().contains(secret.header())
                    ? "wrong " : "missing ") + secret.header() + " header (auth-policy.api-header)");
        }
        List<String> commands;
        try {
            commands = QueryStringDecoder.builder().maxParams(16).build(req.uri()).parameters().get("command");
        } catch (IllegalArgumentException e) {
            throw new ProtocolException(HttpProblems.BAD_COMMAND, "malformed query: " + e.getMessage());
        }
        String command = commands == null || commands.size() != 1 ? "" : commands.get(0);
        AuthAttempt.Command c = switch (command) {
            case "allow" -> AuthAttempt.Command.ALLOW;
            case "report" -> AuthAttempt.Command.REPORT;
            default -> throw new ProtocolException(HttpProblems.BAD_COMMAND, "expected ?command=allow or "
                    + "?command=report", req.uri().getBytes(java.nio.charset.StandardCharsets.UTF_8), SAMPLE);
        };
        byte[] body = ByteBufUtil.getBytes(req.content());
        Map<String, String> fields;
        try {
            fields = AuthJson.parse(body);
        } catch (AuthJson.BadJson e) {
            throw new ProtocolException(HttpProblems.BAD_REQUEST, "request body: " + e.getMessage(), body, SAMPLE);
        }
        return new AuthPolicyRequest(c, fields, HttpUtil.isKeepAlive(req));
    }
}
