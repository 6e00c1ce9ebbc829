package org.postwarden.authpolicy.handler;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.DecoderException;
import org.postwarden.api.AuthAttempt;
import org.postwarden.api.AuthVerdict;
import org.postwarden.authpolicy.codec.AuthPolicyReply;
import org.postwarden.authpolicy.codec.AuthPolicyReplyEncoder;
import org.postwarden.authpolicy.codec.AuthPolicyRequest;
import org.postwarden.authpolicy.codec.HttpProblems;
import org.postwarden.authpolicy.mapping.AuthAttemptMapper;
import org.postwarden.runtime.DaemonContext;
import org.postwarden.transport.ConnectionErrors;
import org.postwarden.transport.ProtocolException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.atomic.AtomicInteger;

/** See the package documentation. */
public final class AuthPolicyHandler extends SimpleChannelInboundHandler<AuthPolicyRequest> {
    static final String LISTENER = "auth-policy";
    private static final Logger LOG = LoggerFactory.getLogger(AuthPolicyHandler.class);
    private final DaemonContext context;
    private final AtomicInteger inFlight;
    private final ConnectionErrors errors;
    private boolean closing;

    /** @param inFlight shared counter of requests accepted but not yet answered (for graceful shutdown) */
    public AuthPolicyHandler(DaemonContext context, AtomicInteger inFlight) {
        this.context = context;
        this.inFlight = inFlight;
        this.errors = new ConnectionErrors(LISTENER, context.metrics());
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, AuthPolicyRequest request) {
        inFlight.incrementAndGet();
        AuthVerdict v;
        try {
            AuthAttempt attempt = AuthAttemptMapper.toAttempt(request);
            v = context.engine().authPolicy(attempt);
        } catch (RuntimeException e) {
            // never invent a verdict: answer what Dovecot does itself when we are not there
            LOG.error("auth-policy decision failed; answering status 0 (fail open)", e);
            context.metrics().fallback(LISTENER, "error");
            v = AuthVerdict.allow(AuthVerdict.Reason.ALLOWED);
        }
        String outcome = v.refused() ? "reject" : v.status() > 0 ? "tarpit" : "allow";
        context.metrics().counter("postwarden.auth.policy.requests", "Dovecot auth-policy requests by command, "
                + "outcome and reason", "command", request.command().label(), "outcome", outcome,
                "reason", v.reason().label()).increment();
        AuthPolicyReply reply = new AuthPolicyReply(v.status(), v.message(), request.keepAlive());
        inFlight.decrementAndGet();
        if (request.keepAlive()) {
            ctx.writeAndFlush(reply);
        } else {
            ctx.writeAndFlush(reply).addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (closing) {
            return;
        }
        closing = true;
        ProtocolException p = cause instanceof ProtocolException pe ? pe
                : cause instanceof DecoderException d && d.getCause() instanceof ProtocolException pe ? pe : null;
        if (p == null || !ctx.channel().isActive()) {
            errors.close(ctx, cause);
            return;
        }
        String json = "{\"status\":0,\"msg\":\"" + AuthPolicyReplyEncoder.escape(p.reason()) + "\"}";
        ctx.writeAndFlush(AuthPolicyReplyEncoder.response(ctx, HttpProblems.status(p.reason()), json, false))
                .addListener(f -> errors.close(ctx, cause));
    }
}
