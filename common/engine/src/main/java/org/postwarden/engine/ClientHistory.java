package org.postwarden.engine;

import org.postwarden.config.PostwardenConfig;
import org.postwarden.model.ClientKey;
import org.postwarden.model.SmtpStage;
import org.postwarden.reputation.Mark;
import org.postwarden.reputation.ReputationStore;
import org.postwarden.reputation.StateCodec;
import org.postwarden.reputation.StateKind;
import org.postwarden.reputation.StateTable;
import org.postwarden.rules.Rules;
import org.postwarden.verdict.Action;
import org.postwarden.verdict.Decision;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

/**
 * Which hosts have a clean history (issue 14): at least {@code networks.clean-history-messages} accepted messages
 * and no own score at {@code scoring.thresholds.tag} within {@code store.idle-expiry}. A store table of that kind
 * ({@code client-history}, key: the host's CIDR) keeps, per host, the accepted messages (END-OF-MESSAGE decisions that
 * neither deferred, rejected nor held, each message once however many listeners report it) and when its own score
 * was last seen at the tag threshold (at any decision). An entry unseen for {@code store.idle-expiry} is dropped, and
 * its host starts over.
 *
 * <p>The greylist check asks {@link #clean} to never greylist such a host; the network-score rule of the same issue
 * (a clean host is judged by its own score and bans, not by its network's) is meant to ask the same function.
 *
 * <p>Known limits: a score that rises over the tag threshold and decays below it again between two decisions of the
 * host (from log signals alone) is not seen; acceptance is Postwarden's verdict, not Postfix's (a later Postfix
 * restriction may still refuse the message); without END-OF-MESSAGE events (no {@code smtpd_end_of_data_restrictions}
 * policy check and no milter) no host ever has a clean history.
 */
final class ClientHistory {
    private ClientHistory() {
    }

    /** A host's history. Guarded by itself. */
    static final class History {
        private long accepted;
        private long taintedMillis;

        synchronized long accepted() {
            return accepted;
        }

        synchronized long taintedMillis() {
            return taintedMillis;
        }

        synchronized void accept() {
            accepted++;
        }

        synchronized void taint(long now) {
            taintedMillis = Math.max(taintedMillis, now);
        }
    }

    private static final StateCodec<History> CODEC = new StateCodec<>() {
        @Override
        public void write(DataOutput out, History h) throws IOException {
            synchronized (h) {
                out.writeLong(h.accepted);
                out.writeLong(h.taintedMillis);
            }
        }

        @Override
        public History read(DataInput in, int version) throws IOException {
            History h = new History();
            h.accepted = Math.max(0, in.readLong());
            h.taintedMillis = in.readLong();
            return h;
        }
    };

    /**
     * The kind for {@code store}: a quarter of {@code store.max-clients} hosts (at least 1,000), idle for
     * {@code store.idle-expiry}. Both are store settings, so a reload that changes them moves the state to a new store.
     */
    static StateKind<History> kind(PostwardenConfig.Store store) {
        return new StateKind<>("client-history", 1, Math.max(1_000, store.maxClients() / 4), store.idleExpiry(), CODEC);
    }

    private static StateTable<History> table(ReputationStore store, Rules rules) {
        return store.table(kind(rules.config().store()));
    }

    /**
     * Records what decision {@code d} of {@code ctx}'s event says about its host: its own score at the tag threshold
     * taints the history; an END-OF-MESSAGE that was not refused or held counts as an accepted message, once per
     * message. Nothing when {@code networks.clean-history-messages} is 0.
     */
    static void observe(EvaluationContext ctx, Decision d) {
        Rules rules = ctx.rules();
        ClientKey host = ctx.host();
        if (host == null || rules.config().networks().cleanHistoryMessages() <= 0) {
            return;
        }
        double tag = rules.config().scoring().thresholds().tag();
        ReputationStore store = ctx.store();
        long now = store.time().millis();
        if (tag > 0 && store.score(host) >= tag) {
            table(store, rules).getOrCreate(host.cidr(), k -> new History()).taint(now);
        }
        Action a = d.verdict().action();
        if (ctx.event().stage() == SmtpStage.END_OF_MESSAGE && a != Action.DEFER && a != Action.REJECT
                && a != Action.HOLD && EventRecorder.firstFor(store.marks(), Mark.ACCEPTED, ctx.event())) {
            table(store, rules).getOrCreate(host.cidr(), k -> new History()).accept();
        }
    }

    /**
     * Whether {@code host} has a clean history now: enough accepted messages, no taint within
     * {@code store.idle-expiry}, and its own score below the tag threshold. False when
     * {@code networks.clean-history-messages} is 0.
     */
    static boolean clean(ReputationStore store, ClientKey host, Rules rules) {
        int needed = rules.config().networks().cleanHistoryMessages();
        if (host == null || needed <= 0) {
            return false;
        }
        History h = table(store, rules).get(host.cidr());
        if (h == null || h.accepted() < needed) {
            return false;
        }
        long now = store.time().millis();
        long tainted = h.taintedMillis();
        if (tainted > 0 && now - tainted <= rules.config().store().idleExpiry().toMillis()) {
            return false;
        }
        double tag = rules.config().scoring().thresholds().tag();
        return tag <= 0 || store.score(host) < tag;
    }
}
