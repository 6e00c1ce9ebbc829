package org.postwarden.milter.session;

import org.nightcode.milter.Actions;
import org.nightcode.milter.MilterMacros;
import org.nightcode.milter.ProtocolSteps;
import org.nightcode.milter.codec.MilterPacket;
import org.postwarden.milter.codec.MilterWire;

/**
 * What Postwarden asks of the MTA in option negotiation, and what was agreed. Only what is needed:
 * <ul>
 * <li>actions: add a header (report and tag headers), quarantine (HOLD: Postfix hold queue), set the macro
 * list;</li>
 * <li>steps: no end-of-header or unknown-command events; headers without replies; rejected recipients too (so a
 * milter-only setup still sees relay attempts); SKIP for the rest of the body once the fingerprint has its prefix.
 * Without fingerprints no headers and no body at all. DATA is asked for, and answered, on purpose: Postfix sends the
 * DATA stage's macros even for a milter that declined the event, and such a lone packet that expects no answer
 * holds the message content behind it for a delayed ACK (Nagle on Postfix's side, about 40 ms per message);</li>
 * <li>macros: connect {@code {client_addr} {client_port} {client_name} {daemon_name} {daemon_port}} (the last two
 * tell a submission service), MAIL {@code i {auth_authen}},
 * RCPT {@code i}, end of message {@code i}.</li>
 * </ul>
 * Everything is intersected with what the MTA offers; commands the MTA sends anyway (it offered no way to turn
 * them off) are answered correctly all the same. Immutable.
 */
public final class Negotiation {
    /** Milter protocol version spoken (Postfix 2.6 and later: 6). */
    public static final int VERSION = 6;
    private static final int MIN_VERSION = 2;
    private static final Actions ACTIONS = Actions.builder().addHeader().quarantineEnvelope().setSymList().build();
    private static final int SETSYMLIST = 0x100;
    private static final MilterMacros MACROS = MilterMacros.builder()
            .connectMacros("{client_addr} {client_port} {client_name} {daemon_name} {daemon_port}")
            .envfromMacros("i {auth_authen}")
            .envrcptMarcos("i")
            .eomMacros("i")
            .build();

    private final int version;
    private final int actions;
    private final int steps;

    private Negotiation(int version, int actions, int steps) {
        this.version = version;
        this.actions = actions;
        this.steps = steps;
    }

    /** The steps Postwarden wants; {@code content}: whether headers and body are needed (fingerprints). */
    static int wantedSteps(boolean content) {
        int s = ProtocolSteps.NO_EOH | ProtocolSteps.NO_UNKNOWN
                | ProtocolSteps.NO_REPLY_FOR_HEADERS | ProtocolSteps.SEND_REJECT_RECIPIENTS
                | ProtocolSteps.UNDERSTAND_SKIP;
        return content ? s : s | ProtocolSteps.NO_HEADERS | ProtocolSteps.NO_BODY;
    }

    /**
     * Agrees on version, actions and steps with an MTA that offered {@code mtaVersion}, {@code mtaActions} and
     * {@code mtaSteps}; null when the MTA's version is too old to talk to.
     */
    public static Negotiation agree(int mtaVersion, int mtaActions, int mtaSteps, boolean content) {
        if (mtaVersion < MIN_VERSION) {
            return null;
        }
        int v = Math.min(VERSION, mtaVersion);
        int a = ACTIONS.bitmap() & mtaActions;
        if (v < 6) {
            a &= ~SETSYMLIST;
        }
        return new Negotiation(v, a, wantedSteps(content) & mtaSteps);
    }

    /** The SMFIC_OPTNEG reply; asks for the macro list only when the MTA lets the milter set it. */
    public MilterPacket reply() {
        MilterMacros macros = (actions & SETSYMLIST) != 0 ? MACROS : MilterMacros.instance();
        return MilterWire.optnegReply(version, actionsOf(actions), stepsOf(steps), macros);
    }

    private static Actions actionsOf(int bits) {
        byte[] b = {(byte) (bits >>> 24), (byte) (bits >>> 16), (byte) (bits >>> 8), (byte) bits};
        return new Actions(b, 0);
    }

    private static ProtocolSteps stepsOf(int bits) {
        byte[] b = {(byte) (bits >>> 24), (byte) (bits >>> 16), (byte) (bits >>> 8), (byte) bits};
        return new ProtocolSteps(b, 0);
    }

    public int version() {
        return version;
    }

    public int actions() {
        return actions;
    }

    public int steps() {
        return steps;
    }

    /** Whether the MTA expects a reply to a command whose no-reply bit is {@code noReplyBit} (jmilter's table). */
    public boolean expectsReply(int noReplyBit) {
        if (noReplyBit == ProtocolSteps.NO_REPLY) {
            return false;
        }
        return noReplyBit == ProtocolSteps.ZERO || (steps & noReplyBit) == 0;
    }

    public boolean canAddHeader() {
        return (actions & 0x01) != 0;
    }

    public boolean canQuarantine() {
        return (actions & 0x20) != 0;
    }

    public boolean canSkip() {
        return (steps & ProtocolSteps.UNDERSTAND_SKIP) != 0;
    }
}
