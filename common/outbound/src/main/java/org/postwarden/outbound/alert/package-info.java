/**
 * Alert delivery: {@link org.postwarden.outbound.alert.Alerter} is the facade the daemon holds; it turns each
 * raised {@link org.postwarden.outbound.Alert} into a WARN on logger {@code org.postwarden.alert}
 * ({@code LogSink}), a count in {@code postwarden_alerts_total{kind}} ({@code MetricSink}), and, as configured under
 * {@code outbound.alerts}, a JSON POST to a webhook ({@code WebhookSink}) and a mail written to a command's
 * standard input, e.g. {@code sendmail -t -i} ({@code MailSink}, {@code MailMessage}). The two delivery channels
 * each go through a bounded {@code RetryQueue} (pending slots, retries with doubling delays, results counted in
 * {@code postwarden_alert_deliveries_total{channel,result}}); the sinks only know how to deliver one alert once.
 *
 * <p>Thread-safety: every class here is safe for concurrent use; {@code Alerter.raise} never blocks and never
 * throws (an event loop may call it). All delivery work runs on the injected executor: HTTP requests are
 * asynchronous, retries are scheduled (no thread ever sleeps), the mail command's exit is awaited through
 * {@link java.lang.Process#onExit()}, and its standard error is read to its end by a thread of its own (the
 * command never blocks on a full pipe). Free text (subject, summary, details) is escaped in the log line, and
 * stripped of line breaks in mail headers, so an alert about hostile input cannot forge log lines or headers.
 *
 * <p>Limits: at most 100 alerts per channel wait for delivery; more are dropped (logged and counted), never queued
 * without bound. A mail gets one attempt and its command is killed after 30 s; of its standard error only the
 * first 4 KiB are kept, and a child that outlives the command while holding that stream open keeps its reader
 * thread until it exits. Retries pending at {@code close()} are abandoned (logged), not persisted; webhook and
 * mail settings are read anew for each alert (reload), but the retries of one alert keep the settings it was
 * raised under.
 */
package org.postwarden.outbound.alert;
