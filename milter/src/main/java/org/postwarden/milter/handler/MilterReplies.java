package org.postwarden.milter.handler;

import io.netty.channel.ChannelHandlerContext;
import org.nightcode.milter.ResponseCode;
import org.nightcode.milter.codec.MilterPacket;
import org.postwarden.config.PostwardenConfig;
import org.postwarden.milter.codec.MilterWire;
import org.postwarden.milter.mapping.MilterReplyMapper;
import org.postwarden.milter.mapping.ReportHeader;
import org.postwarden.milter.session.MilterSession;
import org.postwarden.model.MailEvent;
import org.postwarden.model.SmtpStage;
import org.postwarden.runtime.DaemonContext;
import org.postwarden.transport.TimeBudget;
import org.postwarden.verdict.Decision;
import org.postwarden.verdict.Finding;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The reply side of one milter connection: which command waits for its reply, the decisions within
 * {@code milter.time-budget} ({@link TimeBudget}: a decision not complete in time, or failed, is answered with
 * {@code milter.fallback-action} and its late result discarded), the verdict → reply mapping with what must wait
 * for the end of the message, and the writing (one flush per reply, counted and timed in {@link MilterMetrics}).
 * {@link MilterSessionHandler} decides what a command means; this answers it. Runs on the channel's event loop only.
 */
final class MilterReplies {
    private final DaemonContext context;
    private final MilterMetrics metrics;
    private final AtomicInteger inFlight;
    private final MilterSession session;
    private final TimeBudget budget;
    private ChannelHandlerContext ctx;
    private Pending pending;
    private long seq;

    /** The command that waits for its reply. */
    private record Pending(long seq, SmtpStage stage, long startNanos) {
    }

    /**
     * @param inFlight shared counter of decisions started and not yet finished (for graceful shutdown)
     */
    MilterReplies(DaemonContext context, MilterMetrics metrics, AtomicInteger inFlight, MilterSession session) {
        this.context = context;
        this.metrics = metrics;
        this.inFlight = inFlight;
        this.session = session;
        this.budget = new TimeBudget(MilterMetrics.LISTENER, metrics.shared());
    }

    /** Where replies go: the session handler's context. */
    void attach(ChannelHandlerContext c) {
        this.ctx = c;
    }

    /** The stage whose command waits for its reply, or null when none does. */
    SmtpStage waiting() {
        return pending == null ? null : pending.stage();
    }

    /**
     * Asks the engine about {@code event}; when {@code reply}, the command waits for the answer (the verdict, or the
     * fallback when the budget runs out or the decision fails); otherwise the verdict is only remembered for the
     * end of the message.
     */
    void decide(MailEvent event, boolean reply) {
        long id = ++seq;
        if (reply) {
            pending = new Pending(id, event.stage(), System.nanoTime());
        }
        inFlight.incrementAndGet();
        budget.run(ctx.executor(), context.config().milter().timeBudget(), event.stage(), fallbackAction(),
                () -> context.engine().decide(event), new TimeBudget.Outcome<>() {
                    @Override
                    public boolean awaited() {
                        return reply && pending != null && pending.seq() == id;
                    }

                    @Override
                    public void completed() {
                        inFlight.decrementAndGet();
                    }

                    @Override
                    public void decided(Decision d) {
                        if (awaited()) {
                            answer(event, d);
                        } else if (!reply) {
                            // the MTA negotiated no reply for this stage: keep what must wait for the end of the message
                            remember(d);
                        }
                    }

                    @Override
                    public void fallback() {
                        answerFallback(event.stage());
                    }
                });
    }

    /** Continue, when the command expects a reply. */
    void continueIf(boolean reply, SmtpStage stage) {
        if (reply) {
            write(stage, List.of(MilterWire.reply(ResponseCode.SMFIR_CONTINUE)));
        }
    }

    /** The fallback answer to a command whose handling failed before it waited for anything. */
    void fallbackAfterFailure(SmtpStage stage) {
        write(stage, List.of(MilterReplyMapper.fallback(fallbackAction())));
    }

    private void answerFallback(SmtpStage stage) {
        if (stage == SmtpStage.END_OF_MESSAGE) {
            session.endMessage();
        }
        write(stage, List.of(MilterReplyMapper.fallback(fallbackAction())));
    }

    private void remember(Decision d) {
        for (Finding f : d.findings()) {
            session.reason(f.reason());
        }
        if (!MilterReplyMapper.refuses(d.verdict())) {
            session.defer(d.verdict());
        }
    }

    private void answer(MailEvent event, Decision d) {
        remember(d);
        PostwardenConfig.Milter cfg = context.config().milter();
        if (event.stage() == SmtpStage.END_OF_MESSAGE) {
            String report = null;
            if (cfg.header().enabled()) {
                report = ReportHeader.value(d.hostScore(), d, session.reasons());
            }
            List<MilterPacket> out = MilterReplyMapper.endOfMessage(d.verdict(), session, session.negotiation(),
                    cfg.header().name(), report);
            session.endMessage();
            write(event.stage(), out);
            return;
        }
        if (event.stage() == SmtpStage.CONNECT && MilterReplyMapper.refuses(d.verdict())) {
            session.refused(true);
        }
        write(event.stage(), List.of(MilterReplyMapper.reply(d.verdict(), event.stage(), cfg.connectRefusal().trim())));
    }

    /**
     * Writes replies (one flush), records them, and clears the pending command. {@code stage} null: a reply outside
     * the SMTP stages (option negotiation, body), which answers no pending decision.
     */
    void write(SmtpStage stage, List<MilterPacket> packets) {
        String label = stage == null ? "other" : stage.label();
        for (int i = 0; i < packets.size(); i++) {
            MilterPacket p = packets.get(i);
            metrics.reply(label, MilterReplyMapper.label(p));
            if (i == packets.size() - 1) {
                ctx.writeAndFlush(p);
            } else {
                ctx.write(p);
            }
        }
        if (pending != null && stage != null) {
            metrics.latency(label, System.nanoTime() - pending.startNanos());
            pending = null;
        }
    }

    String fallbackAction() {
        return context.config().milter().fallbackAction();
    }
}
