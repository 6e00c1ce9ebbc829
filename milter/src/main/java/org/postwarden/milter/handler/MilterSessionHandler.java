package org.postwarden.milter.handler;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.concurrent.ScheduledFuture;
import org.nightcode.milter.CommandCode;
import org.nightcode.milter.ResponseCode;
import org.nightcode.milter.codec.MilterPacket;
import org.postwarden.api.Engine;
import org.postwarden.config.Durations;
import org.postwarden.config.PostwardenConfig;
import org.postwarden.milter.codec.MilterProtocolException;
import org.postwarden.milter.codec.MilterWire;
import org.postwarden.milter.mapping.MilterEventMapper;
import org.postwarden.milter.mapping.MilterReplyMapper;
import org.postwarden.milter.mapping.ReportHeader;
import org.postwarden.milter.session.ContentFingerprint;
import org.postwarden.milter.session.MilterSession;
import org.postwarden.milter.session.Negotiation;
import org.postwarden.model.MailEvent;
import org.postwarden.model.SmtpStage;
import org.postwarden.runtime.DaemonContext;
import org.postwarden.verdict.Decision;
import org.postwarden.verdict.Finding;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One milter connection (one SMTP session): checks that commands come in protocol order, turns the SMTP stages
 * into events for the engine and its verdicts into replies, within {@code milter.time-budget}.
 *
 * <p>Order: OPTNEG first and once; macros after it; CONNECT once; HELO, MAIL and unknown commands after CONNECT;
 * RCPT, DATA, headers, end of headers, body and end of message only inside a transaction (after MAIL, before the end
 * of the message or ABORT); QUIT any time. A command outside that order, a command code the protocol does not know,
 * a malformed payload, or a command that expects a reply while the previous one still waits for its reply
 * (pipelining, which Postfix never does) closes the connection with a log line and
 * {@code postwarden_protocol_errors_total{listener="milter"}}; Postfix then applies {@code milter_default_action}.
 *
 * <p>Decisions run on the engine; a decision that is not complete within the time budget, or that fails, is
 * answered with {@code milter.fallback-action} and counted in {@code postwarden_fallbacks_total}; its late result is
 * discarded. Nothing here blocks: every step runs on the channel's event loop, late results hop back onto it.
 */
public final class MilterSessionHandler extends SimpleChannelInboundHandler<MilterPacket> {
    private static final Logger LOG = LoggerFactory.getLogger(MilterSessionHandler.class);
    private final DaemonContext context;
    private final MilterMetrics metrics;
    private final AtomicInteger inFlight;
    private final MilterSession session;
    private final boolean content;
    private ChannelHandlerContext ctx;
    private Pending pending;
    private long seq;

    /** The command that waits for its reply. */
    private record Pending(long seq, SmtpStage stage, long startNanos) {
    }

    /**
     * @param inFlight shared counter of decisions started and not yet finished (for graceful shutdown)
     */
    public MilterSessionHandler(DaemonContext context, MilterMetrics metrics, AtomicInteger inFlight) {
        this.context = context;
        this.metrics = metrics;
        this.inFlight = inFlight;
        PostwardenConfig.Fingerprint fp = context.startConfig().milter().fingerprint();
        this.content = fp.enabled();
        this.session = new MilterSession(content ? fp.bodyPrefixBytes() : 0);
    }

    /** The session (for tests). */
    MilterSession session() {
        return session;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext c) {
        this.ctx = c;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext c, MilterPacket packet) {
        CommandCode cmd = command(packet.command());
        byte[] p = packet.payload();
        metrics.command(label(cmd));
        boolean reply = session.negotiated() ? session.negotiation().expectsReply(cmd.noReplyBit())
                : cmd == CommandCode.SMFIC_OPTNEG;
        if (reply && pending != null) {
            throw new MilterProtocolException("pipelined", label(cmd) + " while " + pending.stage().label()
                    + " still waits for its reply", MilterWire.sample(p));
        }
        try {
            dispatch(cmd, p, reply);
        } catch (MilterProtocolException e) {
            throw e;
        } catch (RuntimeException e) {
            metrics.fallback("error");
            LOG.error("milter {} from {} failed; answering fallback", label(cmd), c.channel().remoteAddress(), e);
            if (reply && pending == null) {
                write(stageOf(cmd), List.of(MilterReplyMapper.fallback(fallbackAction())));
            }
        }
    }

    private void dispatch(CommandCode cmd, byte[] p, boolean reply) {
        switch (cmd) {
            case SMFIC_OPTNEG -> {
                if (session.negotiated()) {
                    throw outOfOrder(cmd, p);
                }
                MilterWire.Optneg o = MilterWire.optneg(p);
                Negotiation n = Negotiation.agree(o.version(), o.actions(), o.steps(), content);
                if (n == null) {
                    throw new MilterProtocolException("malformed-packet", "MTA protocol version " + o.version()
                            + " is older than 2", MilterWire.sample(p));
                }
                session.negotiated(n);
                write(null, List.of(n.reply()));
            }
            case SMFIC_MACRO -> {
                require(session.negotiated(), cmd, p);
                session.macros(MilterWire.macros(p).values());
            }
            case SMFIC_CONNECT -> {
                require(session.negotiated() && !session.connected(), cmd, p);
                session.connect(MilterWire.connect(p));
                metrics.session();
                MailEvent e = MilterEventMapper.toEvent(session, SmtpStage.CONNECT, "", "");
                Engine engine = context.engine();
                session.opened(engine.connectionOpened(e.client()));
                decide(engine, e, reply);
            }
            case SMFIC_HELO -> {
                require(session.connected() && !session.refused(), cmd, p);
                session.helo(MilterWire.firstString(p));
                decide(context.engine(), MilterEventMapper.toEvent(session, SmtpStage.HELO, "", ""), reply);
            }
            case SMFIC_MAIL -> {
                require(session.connected() && !session.refused(), cmd, p);
                session.startMessage(MilterEventMapper.envelopeAddress(MilterWire.firstString(p)));
                decide(context.engine(), MilterEventMapper.toEvent(session, SmtpStage.MAIL, "", ""), reply);
            }
            case SMFIC_RCPT -> {
                require(session.inMessage(), cmd, p);
                String rcpt = MilterEventMapper.envelopeAddress(MilterWire.firstString(p));
                session.recipient();
                decide(context.engine(), MilterEventMapper.toEvent(session, SmtpStage.RCPT, rcpt, ""), reply);
            }
            case SMFIC_DATA -> {
                require(session.inMessage(), cmd, p);
                decide(context.engine(), MilterEventMapper.toEvent(session, SmtpStage.DATA, "", ""), reply);
            }
            case SMFIC_HEADER -> {
                require(session.inMessage(), cmd, p);
                MilterWire.Header h = MilterWire.header(p);
                if (session.fingerprint() != null && h.name().equalsIgnoreCase("Subject")) {
                    session.fingerprint().subject(h.value());
                }
                continueIf(reply, null);
            }
            case SMFIC_EOH -> {
                require(session.inMessage(), cmd, p);
                continueIf(reply, null);
            }
            case SMFIC_BODY -> {
                require(session.inMessage(), cmd, p);
                body(p, reply);
            }
            case SMFIC_EOB -> {
                require(session.inMessage(), cmd, p);
                ContentFingerprint fp = session.fingerprint();
                String print = "";
                if (fp != null && fingerprinted()) {
                    if (p.length > 0 && !session.bodySkipped()) {
                        fp.body(p);
                    }
                    print = fp.value();
                }
                decide(context.engine(), MilterEventMapper.toEvent(session, SmtpStage.END_OF_MESSAGE, "", print),
                        true);
            }
            case SMFIC_ABORT -> {
                require(session.negotiated(), cmd, p);
                session.endMessage();
            }
            case SMFIC_QUIT -> {
                session.endConnection();
                ctx.close();
            }
            case SMFIC_QUIT_NC -> {
                require(session.negotiated(), cmd, p);
                session.endConnection();
            }
            case SMFIC_UNKNOWN -> {
                require(session.connected() && !session.refused(), cmd, p);
                continueIf(reply, null);
            }
        }
    }

    /** Fingerprints are kept per authenticated user only. */
    private boolean fingerprinted() {
        return !session.macro("{auth_authen}").isEmpty();
    }

    private void body(byte[] p, boolean reply) {
        ContentFingerprint fp = session.fingerprint();
        boolean done = true;
        if (fp != null && fingerprinted() && !session.bodySkipped()) {
            done = fp.body(p);
        }
        if (!reply) {
            return;
        }
        if (done && session.negotiation().canSkip()) {
            session.bodySkipped(true);
            write(null, List.of(MilterWire.reply(ResponseCode.SMFIR_SKIP)));
        } else {
            write(null, List.of(MilterWire.reply(ResponseCode.SMFIR_CONTINUE)));
        }
    }

    private void continueIf(boolean reply, SmtpStage stage) {
        if (reply) {
            write(stage, List.of(MilterWire.reply(ResponseCode.SMFIR_CONTINUE)));
        }
    }

    // ---- decisions ------------------------------------------------------------------------------------------

    private void decide(Engine engine, MailEvent event, boolean reply) {
        long id = ++seq;
        long start = System.nanoTime();
        if (reply) {
            pending = new Pending(id, event.stage(), start);
        }
        inFlight.incrementAndGet();
        CompletableFuture<Decision> f;
        try {
            f = engine.decide(event).toCompletableFuture();
        } catch (RuntimeException e) {
            f = CompletableFuture.failedFuture(e);
        }
        if (f.isDone()) {
            finish(id, event, reply, f);
            return;
        }
        long budget = context.config().milter().timeBudget().toMillis();
        ScheduledFuture<?> timer = ctx.executor().schedule(() -> timeout(id, event), budget, TimeUnit.MILLISECONDS);
        CompletableFuture<Decision> pendingDecision = f;
        f.whenComplete((d, t) -> ctx.executor().execute(() -> {
            timer.cancel(false);
            finish(id, event, reply, pendingDecision);
        }));
    }

    private void finish(long id, MailEvent event, boolean reply, CompletableFuture<Decision> f) {
        inFlight.decrementAndGet();
        boolean answering = reply && pending != null && pending.seq() == id;
        Decision d;
        try {
            d = f.join();
        } catch (CompletionException | java.util.concurrent.CancellationException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            if (answering) {
                metrics.fallback("error");
                LOG.error("milter decision at {} failed; answering fallback {}", event.stage().label(),
                        fallbackAction(), cause);
                answerFallback(event.stage());
            }
            return;
        }
        if (answering) {
            answer(event, d);
        } else if (!reply) {
            // the MTA negotiated no reply for this stage: keep what must wait for the end of the message
            remember(d);
        } else {
            LOG.debug("milter decision at {} arrived after the fallback answer; discarded", event.stage().label());
        }
    }

    private void timeout(long id, MailEvent event) {
        if (pending == null || pending.seq() != id) {
            return;
        }
        metrics.fallback("timeout");
        LOG.warn("milter decision at {} exceeded time budget {}; answering fallback {}", event.stage().label(),
                Durations.format(context.config().milter().timeBudget()), fallbackAction());
        answerFallback(event.stage());
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

    /** Writes replies (one flush), records them, and clears the pending command. */
    private void write(SmtpStage stage, List<MilterPacket> packets) {
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

    private String fallbackAction() {
        return context.config().milter().fallbackAction();
    }

    // ---- protocol order --------------------------------------------------------------------------------------

    private static CommandCode command(int code) {
        try {
            return CommandCode.valueOf(code);
        } catch (IllegalArgumentException | NoSuchElementException e) {
            throw new MilterProtocolException("unknown-command", "unknown command code 0x"
                    + Integer.toHexString(code & 0xFF), "");
        }
    }

    private void require(boolean inOrder, CommandCode cmd, byte[] p) {
        if (!inOrder) {
            throw outOfOrder(cmd, p);
        }
    }

    private MilterProtocolException outOfOrder(CommandCode cmd, byte[] p) {
        String state = !session.negotiated() ? "before option negotiation"
                : !session.connected() ? "before connect"
                : session.refused() ? "after the connection was refused"
                : session.inMessage() ? "inside a transaction" : "outside a transaction";
        return new MilterProtocolException("out-of-order", label(cmd) + " " + state, MilterWire.sample(p));
    }

    private static SmtpStage stageOf(CommandCode cmd) {
        return switch (cmd) {
            case SMFIC_CONNECT -> SmtpStage.CONNECT;
            case SMFIC_HELO -> SmtpStage.HELO;
            case SMFIC_MAIL -> SmtpStage.MAIL;
            case SMFIC_RCPT -> SmtpStage.RCPT;
            case SMFIC_DATA -> SmtpStage.DATA;
            case SMFIC_EOB -> SmtpStage.END_OF_MESSAGE;
            default -> SmtpStage.UNKNOWN;
        };
    }

    /** Bounded command label for metrics and logs. */
    static String label(CommandCode cmd) {
        return switch (cmd) {
            case SMFIC_ABORT -> "abort";
            case SMFIC_BODY -> "body";
            case SMFIC_CONNECT -> "connect";
            case SMFIC_MACRO -> "macro";
            case SMFIC_EOB -> "end-of-message";
            case SMFIC_HELO -> "helo";
            case SMFIC_QUIT_NC -> "quit-nc";
            case SMFIC_HEADER -> "header";
            case SMFIC_MAIL -> "mail";
            case SMFIC_EOH -> "end-of-headers";
            case SMFIC_OPTNEG -> "optneg";
            case SMFIC_QUIT -> "quit";
            case SMFIC_RCPT -> "rcpt";
            case SMFIC_DATA -> "data";
            case SMFIC_UNKNOWN -> "unknown";
        };
    }

    // ---- connection events -------------------------------------------------------------------------------------

    @Override
    public void channelInactive(ChannelHandlerContext c) throws Exception {
        session.release();
        super.channelInactive(c);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext c, Object evt) throws Exception {
        if (evt instanceof IdleStateEvent) {
            LOG.debug("closing idle milter connection from {}", c.channel().remoteAddress());
            c.close();
            return;
        }
        super.userEventTriggered(c, evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext c, Throwable cause) {
        Throwable t = cause;
        if (t instanceof DecoderException && t.getCause() instanceof MilterProtocolException p) {
            t = p;
        }
        if (t instanceof MilterProtocolException p) {
            metrics.protocolError(p.reason());
            LOG.warn("closing milter connection from {}: {} (sample: \"{}\")", c.channel().remoteAddress(),
                    p.getMessage(), p.sample());
        } else if (t instanceof IOException) {
            LOG.debug("milter connection from {} failed: {}", c.channel().remoteAddress(), t.toString());
        } else {
            metrics.protocolError("internal");
            LOG.error("closing milter connection from {} after an internal error", c.channel().remoteAddress(), t);
        }
        session.release();
        c.close();
    }
}
