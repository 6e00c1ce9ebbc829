package org.postwarden.reputation;

import org.postwarden.model.ClientKey;

/**
 * A ban on a client key.
 *
 * @param key         banned key (any level)
 * @param sinceMillis when it started
 * @param untilMillis when it ends ({@link Long#MAX_VALUE} for permanent)
 * @param reason      bounded reason label (e.g. "score", "admin", "pregreet")
 * @param detail      human-readable detail
 * @param offense     how many times this key has been banned, including this one (drives escalation)
 */
public record Ban(ClientKey key, long sinceMillis, long untilMillis, String reason, String detail, int offense) {

    public boolean permanent() {
        return untilMillis == Long.MAX_VALUE;
    }

    public boolean activeAt(long now) {
        return now < untilMillis;
    }
}
