package org.postwarden.outbound.alert;

import org.postwarden.outbound.Alert;
import org.postwarden.text.LogSafe;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/** Text the alert classes share: an alert's kind as counted and logged, details and errors as log text. */
final class AlertText {
    private AlertText() {
    }

    /** The alert's kind, {@code unknown} when it has none (metric label {@code kind}). */
    static String kind(Alert alert) {
        return alert.kind() == null || alert.kind().isEmpty() ? "unknown" : alert.kind();
    }

    /** The details sorted by key, {@code {}} for none. */
    static String render(Map<String, Object> details) {
        return details == null || details.isEmpty() ? "{}" : new TreeMap<>(details).toString();
    }

    /** The error's class and message (escaped, capped), unwrapped from completion and execution exceptions. */
    static String describe(Throwable e) {
        Throwable t = e;
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        String m = t.getMessage();
        return t.getClass().getSimpleName() + (m == null ? "" : ": " + LogSafe.escape(m, 200));
    }
}
