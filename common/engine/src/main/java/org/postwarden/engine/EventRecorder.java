package org.postwarden.engine;

import org.postwarden.model.ClientKey;
import org.postwarden.model.MailEvent;
import org.postwarden.model.SmtpStage;
import org.postwarden.reputation.CounterType;
import org.postwarden.reputation.Mark;
import org.postwarden.reputation.ReputationStore;
import org.postwarden.reputation.SessionMarks;

import java.util.Locale;

/**
 * Counts an event into the store, each thing once, also when two listeners (policy server and milter) report it:
 * <ul>
 * <li>a connection at CONNECT, or at the first event a listener reports for a client address and port; sightings
 * of one address and port are paired across listeners ({@link SessionMarks#occurrence}), so a connection both
 * listeners report counts once and a reused port counts again;</li>
 * <li>a message at DATA or END-OF-MESSAGE, once per queue id and once per {@code instance} (the milter knows the
 * queue id, macro {@code i}; the policy server knows both);</li>
 * <li>a recipient at each RCPT, paired across listeners by client address, port and recipient; or, when no
 * listener reports RCPTs for the connection, at END-OF-MESSAGE from {@code recipient_count};</li>
 * <li>a content fingerprint of an authenticated user at END-OF-MESSAGE, once per message.</li>
 * </ul>
 * An event whose connection or recipient another listener already reported is marked as a
 * {@linkplain EvaluationContext#repeat() repeat}.
 */
final class EventRecorder {
    private EventRecorder() {
    }

    static void record(EvaluationContext ctx) {
        MailEvent e = ctx.event();
        ReputationStore store = ctx.store();
        SessionMarks marks = store.marks();
        String conn = e.connectionId();
        if (!ctx.keys().isEmpty()) {
            if (conn.isEmpty()) {
                if (e.stage() == SmtpStage.CONNECT) {
                    countClient(ctx, CounterType.CONNECTIONS, 1);
                }
            } else {
                boolean sighting = marks.first(Mark.CONNECTION_REPORTED.key(e.source(), conn)) | e.stage() == SmtpStage.CONNECT;
                if (sighting) {
                    if (marks.occurrence(Mark.CONNECTION.key(conn), e.source())) {
                        countClient(ctx, CounterType.CONNECTIONS, 1);
                    } else if (e.stage() == SmtpStage.CONNECT) {
                        ctx.repeat(true);
                    }
                }
            }
        }
        switch (e.stage()) {
            case RCPT -> {
                boolean fresh = conn.isEmpty()
                        || marks.occurrence(Mark.RECIPIENT.key(conn, e.recipient().toLowerCase(Locale.ROOT)),
                                e.source());
                if (!conn.isEmpty()) {
                    marks.first(Mark.RECIPIENTS_REPORTED.key(conn));
                }
                firstFor(marks, Mark.MESSAGE_RECIPIENT, e);
                if (fresh) {
                    countClient(ctx, CounterType.RECIPIENTS, 1);
                    countUser(ctx, CounterType.RECIPIENTS, 1);
                } else {
                    ctx.repeat(true);
                }
            }
            case DATA, END_OF_MESSAGE -> {
                if (firstFor(marks, Mark.MESSAGE, e)) {
                    ctx.newMessage(true);
                    countClient(ctx, CounterType.MESSAGES, 1);
                    countUser(ctx, CounterType.MESSAGES, 1);
                }
                if (e.stage() == SmtpStage.END_OF_MESSAGE) {
                    boolean rcptsReported = !conn.isEmpty() && marks.marked(Mark.RECIPIENTS_REPORTED.key(conn))
                            || markedAny(marks, Mark.MESSAGE_RECIPIENT, e);
                    if (e.recipientCount() > 0 && !rcptsReported && hasId(e) && firstFor(marks, Mark.RECIPIENT_COUNT, e)) {
                        ctx.recipientsCountedAtEnd(true);
                        countClient(ctx, CounterType.RECIPIENTS, e.recipientCount());
                        countUser(ctx, CounterType.RECIPIENTS, e.recipientCount());
                    }
                    if (!e.fingerprint().isEmpty() && firstFor(marks, Mark.CONTENT, e)) {
                        ctx.newContent(true);
                        if (e.authenticated()) {
                            store.countContent(e.saslUsername(), e.fingerprint(), 1);
                        }
                    }
                }
            }
            default -> {
            }
        }
    }

    /**
     * Marks every id the event has for its message ({@code q|queue-id}, {@code i|source|instance}) under
     * {@code prefix}; true when none was marked before, or when the event has no id at all (then it cannot be
     * joined and counts).
     */
    static boolean firstFor(SessionMarks marks, Mark kind, MailEvent e) {
        boolean fresh = true;
        if (!e.queueId().isEmpty()) {
            fresh &= marks.first(kind.key(Mark.queueIdPart(e.queueId())));
        }
        if (!e.instance().isEmpty()) {
            fresh &= marks.first(kind.key(Mark.instancePart(e.source(), e.instance())));
        }
        return fresh;
    }

    private static boolean markedAny(SessionMarks marks, Mark kind, MailEvent e) {
        return !e.queueId().isEmpty() && marks.marked(kind.key(Mark.queueIdPart(e.queueId())))
                || !e.instance().isEmpty() && marks.marked(kind.key(Mark.instancePart(e.source(), e.instance())));
    }

    private static boolean hasId(MailEvent e) {
        return !e.queueId().isEmpty() || !e.instance().isEmpty();
    }

    /** The id that joins the events of one message: Postfix's {@code instance}, else the queue id. */
    static String messageId(MailEvent e) {
        if (!e.instance().isEmpty()) {
            return e.source() + "|" + e.instance();
        }
        return e.queueId().isEmpty() ? "" : Mark.queueIdPart(e.queueId());
    }

    private static void countClient(EvaluationContext ctx, CounterType type, int n) {
        for (ClientKey k : ctx.keys()) {
            ctx.store().count(k, type, n);
        }
    }

    private static void countUser(EvaluationContext ctx, CounterType type, int n) {
        if (ctx.event().authenticated()) {
            ctx.store().countUser(ctx.event().saslUsername(), type, n);
            String pool = ctx.rules().quotas().poolKeyOf(ctx.event().saslUsername());
            if (pool != null) {
                ctx.store().countUser(pool, type, n);
            }
        }
    }
}
