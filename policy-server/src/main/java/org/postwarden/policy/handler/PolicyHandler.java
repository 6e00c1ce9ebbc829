package org.postwarden.policy.handler;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.timeout.IdleStateEvent;
import org.postwarden.metrics.PostwardenMetrics;
import org.postwarden.model.MailEvent;
import org.postwarden.model.SmtpStage;
import org.postwarden.policy.codec.PolicyProtocolException;
import org.postwarden.policy.codec.PolicyReply;
import org.postwarden.policy.codec.PolicyRequest;
import org.postwarden.policy.mapping.PolicyEventMapper;
import org.postwarden.policy.mapping.PolicyReplyMapper;
import org.postwarden.runtime.DaemonContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Answers policy requests: request → event → engine → reply, in request order. An engine failure or a decision
 * slower than {@code policy.time-budget} answers {@code policy.fallback-action} (default DUNNO), counted in
 * {@code postwarden_fallbacks_total}. Protocol errors close this connection only.
 */
public final class PolicyHandler extends SimpleChannelInboundHandler<PolicyRequest> {
    private static final Logger LOG = LoggerFactory.getLogger(PolicyHandler.class);
    private final DaemonContext context;
    private final AtomicInteger inFlight;
    private CompletableFuture<Void> tail = CompletableFuture.completedFuture(null);

    /**
     * @param inFlight shared counter of requests accepted but not yet answered (for graceful shutdown)
     */
    public PolicyHandler(DaemonContext context, AtomicInteger inFlight) {
        this.context = context;
        this.inFlight = inFlight;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, PolicyRequest request) {
        inFlight.incrementAndGet();
        String fallback = context.config().policy().fallbackAction().trim();
        Duration budget = context.config().policy().timeBudget();
        PostwardenMetrics metrics = context.metrics();
        CompletableFuture<String> reply;
        SmtpStage stage = SmtpStage.UNKNOWN;
        try {
            MailEvent event = PolicyEventMapper.toEvent(request);
            stage = event.stage();
            SmtpStage s = stage;
            reply = context.engine().decide(event).toCompletableFuture()
                    .thenApply(d -> PolicyReplyMapper.toAction(d.verdict(), s));
        } catch (RuntimeException e) {
            reply = CompletableFuture.failedFuture(e);
        }
        SmtpStage finalStage = stage;
        reply = reply.orTimeout(budget.toMillis(), TimeUnit.MILLISECONDS).exceptionally(t -> {
            Throwable cause = t instanceof java.util.concurrent.CompletionException && t.getCause() != null
                    ? t.getCause() : t;
            if (cause instanceof TimeoutException) {
                metrics.fallback("policy", "timeout");
                LOG.warn("policy decision at {} exceeded time budget {}; answering fallback {}",
                        finalStage.label(), budget, fallback);
            } else {
                metrics.fallback("policy", "error");
                LOG.error("policy decision at {} failed; answering fallback {}", finalStage.label(), fallback, cause);
            }
            return fallback;
        });
        CompletableFuture<String> r = reply;
        tail = tail.thenCombine(r, (ignored, action) -> action).thenAccept(action -> {
            inFlight.decrementAndGet();
            ctx.writeAndFlush(new PolicyReply(action));
        });
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof IdleStateEvent) {
            LOG.debug("closing idle policy connection from {}", ctx.channel().remoteAddress());
            ctx.close();
            return;
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        Throwable c = cause;
        if (c instanceof io.netty.handler.codec.DecoderException && c.getCause() instanceof PolicyProtocolException p) {
            c = p;
        }
        if (c instanceof PolicyProtocolException p) {
            context.metrics().protocolError("policy", p.reason());
            LOG.warn("closing policy connection from {}: {} (sample: \"{}\")", ctx.channel().remoteAddress(),
                    p.getMessage(), p.sample());
        } else if (c instanceof IOException) {
            LOG.debug("policy connection from {} failed: {}", ctx.channel().remoteAddress(), c.toString());
        } else {
            context.metrics().protocolError("policy", "internal");
            LOG.error("closing policy connection from {} after an internal error", ctx.channel().remoteAddress(), c);
        }
        ctx.close();
    }
}
