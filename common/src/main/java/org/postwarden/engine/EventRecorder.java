package org.postwarden.engine;

import org.postwarden.model.ClientKey;
import org.postwarden.model.MailEvent;
import org.postwarden.model.SmtpStage;
import org.postwarden.reputation.CounterType;
import org.postwarden.reputation.ReputationStore;
import org.postwarden.reputation.SessionMarks;

/**
 * Counts an event into the store, each thing once: a connection at CONNECT or at the first request of a new
 * client address and port; a message at DATA or END-OF-MESSAGE, once per {@code instance}; a recipient at each
 * RCPT, or at END-OF-MESSAGE from {@code recipient_count} when no RCPT of that message was seen.
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
            boolean newConnection = conn.isEmpty() ? e.stage() == SmtpStage.CONNECT : marks.first("c|" + conn);
            if (newConnection) {
                countClient(ctx, CounterType.CONNECTIONS, 1);
            }
        }
        String msg = messageId(e);
        switch (e.stage()) {
            case RCPT -> {
                countClient(ctx, CounterType.RECIPIENTS, 1);
                countUser(ctx, CounterType.RECIPIENTS, 1);
                if (!msg.isEmpty()) {
                    marks.first("r|" + msg);
                }
            }
            case DATA, END_OF_MESSAGE -> {
                if (msg.isEmpty() || marks.first("m|" + msg)) {
                    countClient(ctx, CounterType.MESSAGES, 1);
                    countUser(ctx, CounterType.MESSAGES, 1);
                }
                if (e.stage() == SmtpStage.END_OF_MESSAGE && e.recipientCount() > 0 && !msg.isEmpty()
                        && !marks.marked("r|" + msg) && marks.first("r|" + msg)) {
                    countClient(ctx, CounterType.RECIPIENTS, e.recipientCount());
                    countUser(ctx, CounterType.RECIPIENTS, e.recipientCount());
                }
            }
            default -> {
            }
        }
    }

    /** The id that joins the requests of one message: Postfix's {@code instance}, else the queue id. */
    static String messageId(MailEvent e) {
        if (!e.instance().isEmpty()) {
            return e.source() + "|" + e.instance();
        }
        return e.queueId().isEmpty() ? "" : "q|" + e.queueId();
    }

    private static void countClient(EvaluationContext ctx, CounterType type, int n) {
        for (ClientKey k : ctx.keys()) {
            ctx.store().count(k, type, n);
        }
    }

    private static void countUser(EvaluationContext ctx, CounterType type, int n) {
        if (ctx.event().authenticated()) {
            ctx.store().countUser(ctx.event().saslUsername(), type, n);
        }
    }
}
