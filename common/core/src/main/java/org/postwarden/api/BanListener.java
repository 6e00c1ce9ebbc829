package org.postwarden.api;

import org.postwarden.model.ClientKey;
import org.postwarden.reputation.Ban;

/**
 * Told what the engine ({@link Engine#observe}) did beyond scoring: bans issued, bans it refused to issue, user alerts. Used by
 * {@code postwarden replay} to report them; called on whichever thread recorded the signal (or completed a
 * scanner lookup), so implementations must be thread-safe. Every method defaults to doing nothing.
 */
public interface BanListener {
    BanListener NONE = new BanListener() {
    };

    /** A ban was stored ({@code dryRun}: it was only logged as "would ban"). */
    default void banned(Ban ban, boolean dryRun) {
    }

    /**
     * A ban that was due was not issued: {@code reason} is "private-majority" (the Docker-gateway guard) or
     * "scanner" (forward-confirmed research scanner).
     */
    default void refused(ClientKey key, String reason, String detail) {
    }

    /** A user's auth-failure score crossed {@code bans.user-alert-threshold}. */
    default void userAlert(String user, double score, int sources) {
    }
}
