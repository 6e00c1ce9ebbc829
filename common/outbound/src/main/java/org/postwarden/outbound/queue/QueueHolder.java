package org.postwarden.outbound.queue;

import io.micrometer.core.instrument.Counter;
import org.postwarden.metrics.PostwardenMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Puts the queued messages of suspended senders on hold ({@code hold-suspended}): of a listing's messages outside
 * hold, those {@link HoldTargets} picks go to {@code postsuper -h} ({@link QueueCommands#hold}); only ids that were
 * listed are given. Counts {@code postwarden_queue_held_messages_total}; failures are logged once per streak.
 *
 * <p>Blocks while postsuper runs; not thread-safe (the watcher calls it from its poll, one at a time).
 */
final class QueueHolder {
    private static final Logger LOG = LoggerFactory.getLogger("org.postwarden.outbound");

    private final QueueCommands commands;
    private final HoldTargets targets;
    private final Counter held;
    private final FailureStreak holding = new FailureStreak("holding queued messages of suspended senders");

    QueueHolder(QueueCommands commands, HoldTargets targets, PostwardenMetrics metrics) {
        this.commands = commands;
        this.targets = targets;
        this.held = Counter.builder("postwarden.queue.held.messages")
                .description("Queued messages of suspended senders this watcher put on hold")
                .register(metrics.registry());
    }

    /** Holds what {@link HoldTargets} picks among the listed messages outside hold; the error, or null. */
    String holdSuspended(QueueListing list) {
        List<QueuedMessage> outside = list.messages().stream()
                .filter(m -> !QueueMeasurement.HOLD.equals(m.queueName())).toList();
        if (outside.isEmpty()) {
            return null;
        }
        List<String> wanted = targets.toHold(outside);
        if (wanted == null || wanted.isEmpty()) {
            return null;
        }
        Set<String> listed = outside.stream().map(QueuedMessage::queueId).collect(Collectors.toSet());
        List<String> ids = wanted.stream().filter(listed::contains).distinct().toList();
        if (ids.isEmpty()) {
            return null;
        }
        try {
            int n = commands.hold(ids);
            holding.worked();
            held.increment(n);
            LOG.info("put {} queued messages of suspended senders on hold ({} queue ids given to postsuper)", n,
                    ids.size());
            return null;
        } catch (IOException e) {
            String reason = FailureStreak.reason(e);
            holding.failed(reason);
            return reason;
        }
    }
}
