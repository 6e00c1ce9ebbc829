package org.postwarden.engine;

import org.postwarden.model.MailEvent;
import org.postwarden.model.SmtpStage;
import org.postwarden.verdict.Action;
import org.postwarden.verdict.Decision;
import org.postwarden.verdict.Finding;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Predicate;

/**
 * The last few interesting decisions, for {@code explain} and the live report: every decision that was not a plain
 * pass, and every pass that carried a signal (a relay attempt that Postfix refuses itself, a bad HELO below the
 * thresholds). A fixed-size ring: the newest {@link #capacity()} entries are kept, older ones are overwritten.
 *
 * <p>Thread-safety: {@link #add} is lock-free (one atomic increment and one array store) and safe from any thread,
 * event loops included; readers see a consistent set of complete entries (entries are immutable), possibly missing
 * one that is being written at that instant. Known limits: the ring is in memory only (not snapshotted), and under a
 * flood of refused requests it covers only the last seconds.
 */
public final class RecentDecisions {
    /** Default capacity. */
    public static final int DEFAULT_CAPACITY = 2000;

    /**
     * One recorded decision.
     *
     * @param seq       insertion number (increasing)
     * @param atMillis  when it was decided
     * @param source    listener ("policy", "milter", "log", ...)
     * @param stage     SMTP stage
     * @param client    client address, or null when unknown
     * @param helo      HELO name (raw; escape before logging)
     * @param sender    envelope sender
     * @param recipient envelope recipient (RCPT only)
     * @param user      SASL user name, empty when not authenticated
     * @param action    the enforced action
     * @param wouldHave what would have been enforced without dry-run
     * @param reason    the deciding reason label ("none" for a pass with signals)
     * @param findings  every finding, in check order
     */
    public record Entry(long seq, long atMillis, String source, SmtpStage stage, InetAddress client, String helo,
            String sender, String recipient, String user, Action action, Action wouldHave, String reason,
            List<Finding> findings) {
    }

    private final AtomicReferenceArray<Entry> ring;
    private final AtomicLong next = new AtomicLong();

    public RecentDecisions(int capacity) {
        if (capacity < 1 || capacity > 1_000_000) {
            throw new IllegalArgumentException("capacity: " + capacity + " (expected: 1..1000000)");
        }
        this.ring = new AtomicReferenceArray<>(capacity);
    }

    public int capacity() {
        return ring.length();
    }

    /** Whether {@code d} is worth keeping: not a plain pass, or a pass that carries a signal or a proposal. */
    public static boolean interesting(Decision d) {
        Action a = d.verdict().action();
        if (a != Action.PASS && a != Action.ACCEPT || d.suppressed() || d.fallback()) {
            return true;
        }
        for (Finding f : d.findings()) {
            if (f.proposed() != Action.PASS || f.value() != 0) {
                return true;
            }
        }
        return false;
    }

    /** Records {@code d} for {@code e} at {@code nowMillis} when it is {@link #interesting}. */
    public void record(MailEvent e, Decision d, long nowMillis) {
        if (!interesting(d)) {
            return;
        }
        long seq = next.getAndIncrement();
        ring.set((int) (seq % ring.length()), new Entry(seq, nowMillis, e.source(), e.stage(), e.client(),
                e.heloName(), e.sender(), e.recipient(), e.saslUsername(), d.verdict().action(),
                d.wouldHave().action(), d.primaryReason(), d.findings()));
    }

    /** How many entries were ever recorded (including overwritten ones). */
    public long recorded() {
        return next.get();
    }

    /** Kept entries matching {@code filter}, newest first, at most {@code limit}. */
    public List<Entry> newest(Predicate<Entry> filter, int limit) {
        List<Entry> out = new ArrayList<>();
        for (int i = 0; i < ring.length(); i++) {
            Entry e = ring.get(i);
            if (e != null && filter.test(e)) {
                out.add(e);
            }
        }
        out.sort(Comparator.comparingLong(Entry::seq).reversed());
        return out.size() > limit ? List.copyOf(out.subList(0, limit)) : out;
    }

    /** Kept entries of client {@code address}, newest first. */
    public List<Entry> ofClient(InetAddress address, int limit) {
        return newest(e -> address.equals(e.client()), limit);
    }

    /** Kept entries of SASL user {@code user}, newest first. */
    public List<Entry> ofUser(String user, int limit) {
        return newest(e -> user.equals(e.user()), limit);
    }
}
