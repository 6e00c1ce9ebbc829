package org.postwarden.milter.mapping;

import org.nightcode.milter.ResponseCode;
import org.nightcode.milter.codec.MilterPacket;
import org.postwarden.milter.codec.MilterWire;
import org.postwarden.milter.session.MilterSession;
import org.postwarden.milter.session.Negotiation;
import org.postwarden.model.SmtpStage;
import org.postwarden.verdict.Verdict;

import java.util.ArrayList;
import java.util.List;

/**
 * Maps verdicts to milter replies, in one place:
 * <ul>
 * <li>pass, explicit trust, dry-run warning ⇒ {@code SMFIR_CONTINUE} (Postfix logs nothing for a milter's WARN;
 * the decision log line has it);</li>
 * <li>defer ⇒ {@code SMFIR_REPLYCODE "450 4.7.1 text"}; reject ⇒ {@code "550 5.7.1 text"}; at connect,
 * {@code milter.connect-refusal} may turn either into the other (Postfix then answers every command of that
 * session with it), except a defer that must stay temporary (a network-level refusal without a ban);</li>
 * <li>tag and hold before the end of the message ⇒ continue, kept in the session; at the end of the message tag ⇒
 * {@code SMFIR_ADDHEADER}, hold ⇒ {@code SMFIR_QUARANTINE} (Postfix's hold queue), then continue;</li>
 * <li>the fallback ({@code milter.fallback-action}) ⇒ continue, accept or tempfail — never a reject.</li>
 * </ul>
 */
public final class MilterReplyMapper {
    private MilterReplyMapper() {
    }

    /** The reply to a command at {@code stage} other than the end of the message. */
    public static MilterPacket reply(Verdict v, SmtpStage stage, String connectRefusal) {
        boolean connect = stage == SmtpStage.CONNECT || stage == SmtpStage.HELO;
        return switch (v) {
            case Verdict.Pass p -> MilterWire.reply(ResponseCode.SMFIR_CONTINUE);
            case Verdict.Accept a -> MilterWire.reply(ResponseCode.SMFIR_CONTINUE);
            case Verdict.Warn w -> MilterWire.reply(ResponseCode.SMFIR_CONTINUE);
            case Verdict.Tag t -> MilterWire.reply(ResponseCode.SMFIR_CONTINUE);
            case Verdict.Hold h -> MilterWire.reply(ResponseCode.SMFIR_CONTINUE);
            case Verdict.Defer d -> connect && "reject".equals(connectRefusal) && !d.temporaryOnly()
                    ? MilterWire.replyCode("550", "5.7.1", d.text())
                    : MilterWire.replyCode(d.code(), d.enhanced(), d.text());
            case Verdict.Reject r -> connect && "tempfail".equals(connectRefusal)
                    ? MilterWire.replyCode("450", "4.7.1", r.text())
                    : MilterWire.replyCode(r.code(), r.enhanced(), r.text());
        };
    }

    /** True when {@code v} refuses the command (a reply code rather than continue). */
    public static boolean refuses(Verdict v) {
        return v instanceof Verdict.Defer || v instanceof Verdict.Reject;
    }

    /**
     * The replies at the end of the message: modifications first (report header, tag header, quarantine), then the
     * final reply. A refused message gets no modifications. {@code report} is the report header value, or null.
     */
    public static List<MilterPacket> endOfMessage(Verdict v, MilterSession s, Negotiation n, String reportName,
            String report) {
        List<MilterPacket> out = new ArrayList<>(4);
        if (refuses(v)) {
            out.add(reply(v, SmtpStage.END_OF_MESSAGE, "as-decided"));
            return out;
        }
        s.defer(v);
        if (n.canAddHeader()) {
            if (report != null) {
                out.add(MilterWire.addHeader(reportName, report));
            }
            Verdict.Tag tag = s.pendingTag();
            if (tag != null) {
                out.add(MilterWire.addHeader(tag.header(), tag.value()));
            }
        }
        Verdict.Hold hold = s.pendingHold();
        if (hold != null && n.canQuarantine()) {
            out.add(MilterWire.quarantine(hold.text()));
        }
        out.add(MilterWire.reply(ResponseCode.SMFIR_CONTINUE));
        return out;
    }

    /** The configured fallback: {@code continue}, {@code accept} or {@code tempfail}. */
    public static MilterPacket fallback(String action) {
        return switch (action.trim()) {
            case "accept" -> MilterWire.reply(ResponseCode.SMFIR_ACCEPT);
            case "tempfail" -> MilterWire.reply(ResponseCode.SMFIR_TEMPFAIL);
            default -> MilterWire.reply(ResponseCode.SMFIR_CONTINUE);
        };
    }

    /** Bounded label of a reply packet for metrics. */
    public static String label(MilterPacket p) {
        return switch (p.command()) {
            case 'c' -> "continue";
            case 'a' -> "accept";
            case 't' -> "tempfail";
            case 'r' -> "reject";
            case 'y' -> p.payload().length > 0 && p.payload()[0] == '4' ? "tempfail" : "reject";
            case 'h' -> "add-header";
            case 'q' -> "quarantine";
            case 's' -> "skip";
            case 'O' -> "optneg";
            default -> "other";
        };
    }
}
