package org.postwarden.outbound.alert;

import org.postwarden.config.PostwardenConfig;
import org.postwarden.outbound.Alert;

/**
 * An alert channel that delivers away from the raising thread (webhook, mail). It only knows how to deliver one
 * alert; pending slots, retries and result counts are its {@link RetryQueue}'s.
 */
@FunctionalInterface
interface ChannelSink {

    /**
     * How {@code alert} is to be delivered under {@code settings} (as they were when it was raised), or null when
     * this channel is off there. Called on the raising thread: cheap, no I/O.
     */
    Delivery delivery(Alert alert, String kind, PostwardenConfig.Alerts settings);
}
