package org.postwarden.outbound.alert;

import org.postwarden.outbound.Alert;
import org.postwarden.outbound.AlertSink;
import org.postwarden.text.LogSafe;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The log line of every alert: a WARN on logger {@value Alerter#LOGGER}, its free text escaped and capped so that an
 * alert about hostile input cannot forge log lines. Stateless, thread-safe, never blocks on anything but the
 * logging backend.
 */
final class LogSink implements AlertSink {
    private static final Logger LOG = LoggerFactory.getLogger(Alerter.LOGGER);
    private static final int SUBJECT_MAX = 200;
    private static final int SUMMARY_MAX = 300;
    private static final int DETAILS_MAX = 1000;

    @Override
    public void raise(Alert alert) {
        LOG.warn("alert {}: {}: {} {}", LogSafe.escape(AlertText.kind(alert), 40),
                LogSafe.escape(alert.subject(), SUBJECT_MAX), LogSafe.escape(alert.summary(), SUMMARY_MAX),
                LogSafe.escape(AlertText.render(alert.details()), DETAILS_MAX));
    }
}
