package org.postwarden.outbound;

import org.postwarden.api.Suspensions;
import org.postwarden.metrics.PostwardenMetrics;
import org.postwarden.outbound.OutboundState.Suspended;
import org.postwarden.outbound.queue.HoldTargets;
import org.postwarden.outbound.queue.QueueCommands;
import org.postwarden.outbound.queue.QueuedMessage;
import org.postwarden.reputation.StateTable;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The outbound guard's suspensions as the admin and the queue watcher see them: list, look up, release (lift the
 * suspension, {@code postsuper -H} its held messages), purge ({@code postsuper -d} them, the suspension stays), and
 * which queued messages the watcher puts on hold. Reads and writes the suspensions of the guard's current store
 * ({@link OutboundGuard#currentStore()}).
 *
 * <p>Thread-safe. {@link #release} and {@link #purge} run postqueue and postsuper (through {@link QueueCommands}):
 * call them from admin API threads, never an event loop; {@link #toHold} is the queue watcher's, on its thread.
 */
public final class SuspensionDesk implements Suspensions, HoldTargets {
    private final OutboundGuard guard;
    private final QueueCommands queue;
    private final PostwardenMetrics metrics;

    SuspensionDesk(OutboundGuard guard, QueueCommands queue, PostwardenMetrics metrics) {
        this.guard = guard;
        this.queue = queue;
        this.metrics = metrics;
    }

    // ---- queue watcher (HoldTargets) ---------------------------------------------------------------------------

    @Override
    public List<String> toHold(List<QueuedMessage> messages) {
        StateTable<Suspended> suspensions = guard.suspensionTable();
        if (suspensions.size() == 0) {
            return List.of();
        }
        StateTable<String[]> owners = guard.ownerTable();
        List<String> out = new ArrayList<>();
        for (QueuedMessage m : messages) {
            if ("hold".equals(m.queueName())) {
                continue;
            }
            String[] keys = owners.get(m.queueId());
            Suspended s = keys == null ? null : suspensions.get(keys[keys.length - 1]);
            if (s != null) {
                s.add("", m.queueId());
                out.add(m.queueId());
            }
        }
        return out;
    }

    // ---- admin (Suspensions) -----------------------------------------------------------------------------------

    @Override
    public List<Suspension> list() {
        List<Suspension> out = new ArrayList<>();
        guard.suspensionTable().forEach((k, s) -> out.add(s.view()));
        out.sort(Comparator.comparingLong(Suspension::sinceMillis));
        return out;
    }

    @Override
    public Optional<Suspension> of(String subject) {
        Suspended s = guard.suspensionTable().get(Suspensions.subject(subject));
        return s == null ? Optional.empty() : Optional.of(s.view());
    }

    @Override
    public Optional<Outcome> release(String name) {
        String subject = Suspensions.subject(name);
        Suspended s = guard.suspensionTable().remove(subject);
        if (s == null) {
            return Optional.empty();
        }
        guard.forgetBurst(subject);
        guard.changed();
        Suspension view = s.view();
        int released = 0;
        String error = "";
        try {
            List<String> ids = heldOf(s);
            released = ids.isEmpty() ? 0 : queue.release(ids);
        } catch (IOException | RuntimeException e) {
            error = e.getMessage() == null ? e.toString() : e.getMessage();
        }
        metrics.registry().counter("postwarden.outbound.admin.actions", "action", "release", "result",
                error.isEmpty() ? "ok" : "error").increment();
        OutboundGuard.LOG.info("admin: released {} (suspended since {} for {}): {} held message(s) released from the "
                + "hold queue{}", Senders.display(subject), java.time.Instant.ofEpochMilli(s.since), s.reason,
                released, error.isEmpty() ? "" : "; queue command failed: " + error);
        return Optional.of(new Outcome(view, released, error));
    }

    @Override
    public Optional<Outcome> purge(String name) {
        String subject = Suspensions.subject(name);
        Suspended s = guard.suspensionTable().get(subject);
        if (s == null) {
            return Optional.empty();
        }
        int deleted = 0;
        String error = "";
        try {
            List<String> ids = heldOf(s);
            deleted = ids.isEmpty() ? 0 : queue.delete(ids);
            s.forget(ids);
        } catch (IOException | RuntimeException e) {
            error = e.getMessage() == null ? e.toString() : e.getMessage();
        }
        metrics.registry().counter("postwarden.outbound.admin.actions", "action", "purge", "result",
                error.isEmpty() ? "ok" : "error").increment();
        OutboundGuard.LOG.info("admin: purged the held messages of {}: {} deleted{}; still suspended",
                Senders.display(subject), deleted, error.isEmpty() ? "" : "; queue command failed: " + error);
        guard.changed();
        return Optional.of(new Outcome(s.view(), deleted, error));
    }

    /**
     * The hold-queue messages of suspension {@code s}: those the daemon itself saw held for it (its known queue ids),
     * unless the owner table records another owner for that id (a reused short id), and those whose recorded owner
     * is its subject. Never by envelope sender: an address can be shared by senders (a role address, a forged or
     * forwarded sender, another user's held mail) and releasing or purging one of them must leave the others'
     * held mail alone.
     */
    private List<String> heldOf(Suspended s) throws IOException {
        if (queue == null) {
            throw new IOException("no queue commands configured (outbound.queue.postsuper-command)");
        }
        Set<String> known = s.queueIds();
        StateTable<String[]> owners = guard.ownerTable();
        List<String> ids = new ArrayList<>();
        for (QueuedMessage m : queue.list().messages()) {
            if (!"hold".equals(m.queueName())) {
                continue;
            }
            String[] keys = owners.get(m.queueId());
            String owner = keys == null || keys.length == 0 ? null : keys[keys.length - 1];
            boolean owned = s.subject.equals(owner);
            boolean heldForIt = known.contains(m.queueId()) && owner == null;
            if (owned || heldForIt) {
                ids.add(m.queueId());
            }
        }
        return ids;
    }
}
