package org.postwarden.app;

import org.postwarden.model.TimeSource;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The console's login sessions: a random 256-bit id (the cookie) and a random CSRF token each, expiring a fixed
 * time after the login. At most {@value #MAX} are kept (the oldest is dropped first), so repeated logins cannot
 * fill memory. Thread-safe (synchronized; every operation is a map access).
 */
final class ConsoleSessions {
    static final int MAX = 64;
    private final TimeSource time;
    private final Duration lifetime;
    private final SecureRandom random = new SecureRandom();
    private final Map<String, Session> byId = new LinkedHashMap<>();

    /** One session: its cookie id, CSRF token and expiry. */
    record Session(String id, String csrf, long expiresMillis) {
    }

    ConsoleSessions(TimeSource time, Duration lifetime) {
        this.time = time;
        this.lifetime = lifetime;
    }

    Duration lifetime() {
        return lifetime;
    }

    synchronized Session create() {
        purge();
        while (byId.size() >= MAX) {
            Iterator<String> it = byId.keySet().iterator();
            it.next();
            it.remove();
        }
        Session s = new Session(hex(), hex(), time.millis() + lifetime.toMillis());
        byId.put(s.id(), s);
        return s;
    }

    /** The live session with cookie value {@code id}, or null (none, unknown or expired). */
    synchronized Session find(String id) {
        if (id == null || id.length() != 64) {
            return null;
        }
        Session s = byId.get(id);
        if (s != null && s.expiresMillis() <= time.millis()) {
            byId.remove(id);
            return null;
        }
        return s;
    }

    synchronized void remove(Session s) {
        byId.remove(s.id());
    }

    private void purge() {
        long now = time.millis();
        byId.values().removeIf(s -> s.expiresMillis() <= now);
    }

    private String hex() {
        byte[] b = new byte[32];
        random.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }
}
