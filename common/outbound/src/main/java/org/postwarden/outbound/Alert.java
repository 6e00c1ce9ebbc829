package org.postwarden.outbound;

import java.util.Map;

/**
 * Something an admin must look at now: an outbound suspension, or a queue threshold crossed.
 *
 * @param kind      bounded (metric label): {@code outbound-suspension}, {@code queue-depth}, {@code queue-age},
 *                  {@code queue-sender-share}, {@code queue-growth}
 * @param subject   who or what it is about ({@code user:alice}, {@code client:192.0.2.7}, a sender address, a
 *                  queue name); free text, never a metric label
 * @param summary   one line for humans
 * @param details   values behind it (JSON-friendly: strings, numbers, booleans, lists, maps)
 * @param atMillis  when it was raised (epoch milliseconds)
 */
public record Alert(String kind, String subject, String summary, Map<String, Object> details, long atMillis) {
    public Alert {
        details = Map.copyOf(details);
    }
}
