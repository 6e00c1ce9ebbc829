package org.postwarden.outbound.queue;

import java.util.List;

/** Tells the queue watcher which queued messages belong to a suspended sender and are to be held. */
public interface HoldTargets {

    /** The queue ids among {@code messages} (any queue but hold) that belong to a suspended sender. */
    List<String> toHold(List<QueuedMessage> messages);

    /** Nobody is suspended. */
    HoldTargets NONE = m -> List.of();
}
