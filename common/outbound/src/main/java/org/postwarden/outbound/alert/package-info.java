/**
 * Alert delivery: {@link org.postwarden.outbound.alert.Alerter} turns each raised
 * {@link org.postwarden.outbound.Alert} into a WARN on logger {@code org.postwarden.alert}, a count in
 * {@code postwarden_alerts_total{kind}}, and, as configured under {@code outbound.alerts}, a JSON POST to a webhook
 * (retried with doubling delays) and a mail written to a command's standard input (e.g. {@code sendmail -t -i}).
 * Results are counted in {@code postwarden_alert_deliveries_total{channel,result}}.
 *
 * <p>Thread-safety: {@code Alerter} is safe for concurrent use; {@code raise} never blocks and never throws (an
 * event loop may call it). All delivery work runs on the injected executor: HTTP requests are asynchronous, retries
 * are scheduled (no thread ever sleeps), and the mail command's exit is awaited through
 * {@link java.lang.Process#onExit()}. Free text (subject, summary, details) is escaped in the log line, and stripped
 * of line breaks in mail headers, so an alert about hostile input cannot forge log lines or headers.
 *
 * <p>Limits: at most 100 alerts per channel wait for delivery; more are dropped (logged and counted), never queued
 * without bound. A mail gets one attempt and its command is killed after 30 s. Retries pending at {@code close()}
 * are abandoned (logged), not persisted; webhook and mail settings are read anew for each alert (reload), but the
 * retries of one alert keep the settings it was raised under.
 */
package org.postwarden.outbound.alert;
