package org.postwarden.reputation;

import java.util.Locale;

/** What a counter counts. */
public enum CounterType {
    CONNECTIONS, MESSAGES, RECIPIENTS;

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
