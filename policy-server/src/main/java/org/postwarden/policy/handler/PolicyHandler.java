package org.postwarden.policy.handler;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import org.postwarden.config.PostwardenConfig;
import org.postwarden.model.MailEvent;
import org.postwarden.model.SmtpStage;
import org.postwarden.policy.codec.PolicyReply;
import org.postwarden.policy.codec.PolicyRequest;
import org.postwarden.policy.mapping.PolicyEventMapper;
import org.postwarden.policy.mapping.PolicyReplyMapper;
import org.postwarden.runtime.DaemonContext;
import org.postwarden.transport.ConnectionErrors;
import org.postwarden.transport.ReplyBackpressure;
import org.postwarden.transport.TimeBudget;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Answers policy requests: request → event → engine → reply, in request order. An engine failure or a decision
 * slower than {@code policy.time-budget} answers {@code policy.fallback-action} (default DUNNO), counted in
 * {@code postwarden_fallbacks_total} ({@link TimeBudget}). Protocol errors close this connection only
 * ({@link ConnectionErrors}). With a {@link ReplyBackpressure} in the pipeline, every request counts as a queued
 * reply until its answer is written; a request read after the connection was cut off for too many is dropped.
 */
public final class PolicyHandler extends SimpleChannelInboundHandler<PolicyRequest> {
    static final String LISTENER = "policy";
    private final DaemonContext context;
    private final AtomicInteger inFlight;
    private final TimeBudget budget;
    private final ConnectionErrors errors;
    private CompletableFuture<Void> tail = CompletableFuture.completedFuture(null);
    private ReplyBackpressure backpressure;

    /**
     * @param inFlight shared counter of requests accepted but not yet answered (for graceful shutdown)
     */
    public PolicyHandler(DaemonContext context, AtomicInteger inFlight) {
        this.context = context;
        this.inFlight = inFlight;
        this.budget = new TimeBudget(LISTENER, context.metrics());
        this.errors = new ConnectionErrors(LISTENER, context.metrics());
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        backpressure = ctx.pipeline().get(ReplyBackpressure.class);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, PolicyRequest request) {
        if (backpressure != null && !backpressure.accept()) {
            return; // cut off: too many replies queued for this client
        }
        inFlight.incrementAndGet();
        PostwardenConfig.Policy config = context.config().policy();
        String fallback = config.fallbackAction().trim();
        SmtpStage stage = SmtpStage.UNKNOWN;
        Supplier<CompletionStage<String>> decision;
        try {
            MailEvent event = PolicyEventMapper.toEvent(request);
            SmtpStage s = stage = event.stage();
            decision = () -> context.engine().decide(event).thenApply(d -> PolicyReplyMapper.toAction(d.verdict(), s));
        } catch (RuntimeException e) {
            decision = () -> {
                throw e;
            };
        }
        CompletableFuture<String> reply = new CompletableFuture<>();
        budget.run(ctx.executor(), config.timeBudget(), stage, fallback, decision, new TimeBudget.Outcome<>() {
            @Override
            public void decided(String action) {
                reply.complete(action);
            }

            @Override
            public void fallback() {
                reply.complete(fallback);
            }
        });
        tail = tail.thenCombine(reply, (ignored, action) -> action).thenAccept(action -> {
            inFlight.decrementAndGet();
            if (backpressure != null) {
                backpressure.answered();
            }
            ctx.writeAndFlush(new PolicyReply(action));
        });
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        errors.close(ctx, cause);
    }
}
