package org.postwarden.api;

import org.postwarden.config.PostwardenConfig;
import org.postwarden.model.TimeSource;

/**
 * Builds a private engine on a fresh in-memory store, for offline work ({@code postwarden replay}): the same checks,
 * signals and ban rules as the daemon, on the clock given (log time in a replay). The daemon module provides it.
 */
@FunctionalInterface
public interface EngineFactory {

    /** An engine on {@code config} and {@code time} whose bans, refusals and alerts are told to {@code listener}. */
    Engine create(PostwardenConfig config, TimeSource time, BanListener listener);
}
