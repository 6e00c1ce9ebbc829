package org.postwarden.milter.handler;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import org.nightcode.milter.CommandCode;
import org.nightcode.milter.ResponseCode;
import org.nightcode.milter.codec.MilterPacket;
import org.postwarden.config.PostwardenConfig;
import org.postwarden.milter.codec.MilterWire;
import org.postwarden.milter.mapping.MilterEventMapper;
import org.postwarden.milter.session.ContentFingerprint;
import org.postwarden.milter.session.MilterSession;
import org.postwarden.milter.session.Negotiation;
import org.postwarden.model.Addresses;
import org.postwarden.model.MailEvent;
import org.postwarden.model.SmtpStage;
import org.postwarden.runtime.DaemonContext;
import org.postwarden.transport.ConnectionErrors;
import org.postwarden.transport.ProtocolException;
import org.postwarden.transport.ReplyBackpressure;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.NoSuchElementException;
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
 * A client that sends commands answered at once (headers, body chunks) and never reads the replies is cut off by the
 * pipeline's {@link ReplyBackpressure}; what it sends after that is dropped.
 *
 * <p>This class is the per-stage dispatch; {@link MilterReplies} answers: decisions on the engine within the time
 * budget (a decision that is not complete in time, or that fails, is answered with {@code milter.fallback-action}
 * and counted in {@code postwarden_fallbacks_total}; its late result is discarded), replies and their metrics.
 * Nothing here blocks: every step runs on the channel's event loop, late results hop back onto it.
 */
public final class MilterSessionHandler extends SimpleChannelInboundHandler<MilterPacket> {
    private static final Logger LOG = LoggerFactory.getLogger(MilterSessionHandler.class);
    private final DaemonContext context;
    private final MilterMetrics metrics;
    private final MilterSession session;
    private final MilterReplies replies;
    private final ConnectionErrors errors;
    private final boolean content;
    private ChannelHandlerContext ctx;
    private ReplyBackpressure backpressure;

    /**
     * @param inFlight shared counter of decisions started and not yet finished (for graceful shutdown)
     */
    public MilterSessionHandler(DaemonContext context, MilterMetrics metrics, AtomicInteger inFlight) {
        this.context = context;
        this.metrics = metrics;
        PostwardenConfig.Fingerprint fp = context.startConfig().milter().fingerprint();
        this.content = fp.enabled();
        this.session = new MilterSession(content ? fp.bodyPrefixBytes() : 0);
        this.replies = new MilterReplies(context, metrics, inFlight, session);
        this.errors = new ConnectionErrors(MilterMetrics.LISTENER, metrics.shared());
    }

    /** The session (for tests). */
    MilterSession session() {
        return session;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext c) {
        this.ctx = c;
        this.backpressure = c.pipeline().get(ReplyBackpressure.class);
        replies.attach(c);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext c, MilterPacket packet) {
        if (backpressure != null && backpressure.cutOff()) {
            return; // cut off: too many replies queued for a client that does not read them
        }
        CommandCode cmd = command(packet.command());
        byte[] p = packet.payload();
        metrics.command(label(cmd));
        boolean reply = session.negotiated() ? session.negotiation().expectsReply(cmd.noReplyBit())
                : cmd == CommandCode.SMFIC_OPTNEG;
        SmtpStage waiting = replies.waiting();
        if (reply && waiting != null) {
            throw MilterWire.error("pipelined", label(cmd) + " while " + waiting.label()
                    + " still waits for its reply", p);
        }
        try {
            dispatch(cmd, p, reply);
        } catch (ProtocolException e) {
            throw e;
        } catch (RuntimeException e) {
            metrics.fallback("error");
            LOG.error("milter {} from {} failed; answering fallback", label(cmd), Addresses.format(c.channel().remoteAddress()), e);
            if (reply && replies.waiting() == null) {
                replies.fallbackAfterFailure(stageOf(cmd));
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
                    throw MilterWire.error("malformed-packet", "MTA protocol version " + o.version()
                            + " is older than 2", p);
                }
                session.negotiated(n);
                replies.write(null, List.of(n.reply()));
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
                session.opened(context.engine().connectionOpened(e.client()));
                replies.decide(e, reply);
            }
            case SMFIC_HELO -> {
                require(session.connected() && !session.refused(), cmd, p);
                session.helo(MilterWire.firstString(p));
                replies.decide(MilterEventMapper.toEvent(session, SmtpStage.HELO, "", ""), reply);
            }
            case SMFIC_MAIL -> {
                require(session.connected() && !session.refused(), cmd, p);
                session.startMessage(MilterEventMapper.envelopeAddress(MilterWire.firstString(p)));
                replies.decide(MilterEventMapper.toEvent(session, SmtpStage.MAIL, "", ""), reply);
            }
            case SMFIC_RCPT -> {
                require(session.inMessage(), cmd, p);
                String rcpt = MilterEventMapper.envelopeAddress(MilterWire.firstString(p));
                session.recipient();
                replies.decide(MilterEventMapper.toEvent(session, SmtpStage.RCPT, rcpt, ""), reply);
            }
            case SMFIC_DATA -> {
                require(session.inMessage(), cmd, p);
                replies.decide(MilterEventMapper.toEvent(session, SmtpStage.DATA, "", ""), reply);
            }
            case SMFIC_HEADER -> {
                require(session.inMessage(), cmd, p);
                MilterWire.Header h = MilterWire.header(p);
                if (session.fingerprint() != null && h.name().equalsIgnoreCase("Subject")) {
                    session.fingerprint().subject(h.value());
                }
                replies.continueIf(reply, null);
            }
            case SMFIC_EOH -> {
                require(session.inMessage(), cmd, p);
                replies.continueIf(reply, null);
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
                replies.decide(MilterEventMapper.toEvent(session, SmtpStage.END_OF_MESSAGE, "", print),
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
                replies.continueIf(reply, null);
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
            replies.write(null, List.of(MilterWire.reply(ResponseCode.SMFIR_SKIP)));
        } else {
            replies.write(null, List.of(MilterWire.reply(ResponseCode.SMFIR_CONTINUE)));
        }
    }

    // ---- protocol order --------------------------------------------------------------------------------------

    private static CommandCode command(int code) {
        try {
            return CommandCode.valueOf(code);
        } catch (IllegalArgumentException | NoSuchElementException e) {
            throw new ProtocolException("unknown-command", "unknown command code 0x"
                    + Integer.toHexString(code & 0xFF));
        }
    }

    private void require(boolean inOrder, CommandCode cmd, byte[] p) {
        if (!inOrder) {
            throw outOfOrder(cmd, p);
        }
    }

    private ProtocolException outOfOrder(CommandCode cmd, byte[] p) {
        String state = !session.negotiated() ? "before option negotiation"
                : !session.connected() ? "before connect"
                : session.refused() ? "after the connection was refused"
                : session.inMessage() ? "inside a transaction" : "outside a transaction";
        return MilterWire.error("out-of-order", label(cmd) + " " + state, p);
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
    public void exceptionCaught(ChannelHandlerContext c, Throwable cause) {
        session.release();
        errors.close(c, cause);
    }
}
