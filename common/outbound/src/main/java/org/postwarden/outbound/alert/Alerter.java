package org.postwarden.outbound.alert;

import io.micrometer.core.instrument.MeterRegistry;
import org.postwarden.config.PostwardenConfig;
import org.postwarden.metrics.PostwardenMetrics;
import org.postwarden.outbound.Alert;
import org.postwarden.outbound.AlertSink;
import org.postwarden.text.LogSafe;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Supplier;

/**
 * Delivers alerts: a WARN on logger {@code org.postwarden.alert} ({@link LogSink}) and
 * {@code postwarden_alerts_total{kind}} ({@link MetricSink}) at once, then, on the executor, a webhook POST
 * ({@link WebhookSink}) and a mail ({@link MailSink}) as {@code outbound.alerts} says (read per alert: reloads
 * apply), each through the {@link RetryQueue} of its channel. See the package documentation for threading and
 * limits.
 */
public final class Alerter implements AlertSink, AutoCloseable {
    /** The logger every alert is written to. */
    public static final String LOGGER = "org.postwarden.alert";
    private static final Logger LOG = LoggerFactory.getLogger(LOGGER);
    /** How long a mail command may run before it is killed. */
    static final Duration MAIL_TIMEOUT = Duration.ofSeconds(30);

    private final Supplier<PostwardenConfig.Alerts> settings;
    private final LogSink log = new LogSink();
    private final MetricSink metric;
    private final WebhookSink webhook = new WebhookSink();
    private final RetryQueue webhooks;
    private final RetryQueue mails;
    private volatile boolean closed;

    /**
     * @param settings the current {@code outbound.alerts} (read for every alert; may change on reload)
     * @param metrics  where the counters go
     * @param executor runs deliveries and schedules retries (the daemon's; not shut down by {@link #close()})
     */
    public Alerter(Supplier<PostwardenConfig.Alerts> settings, PostwardenMetrics metrics,
            ScheduledExecutorService executor) {
        this(settings, metrics, executor, MAIL_TIMEOUT);
    }

    Alerter(Supplier<PostwardenConfig.Alerts> settings, PostwardenMetrics metrics, ScheduledExecutorService executor,
            Duration mailTimeout) {
        MeterRegistry registry = metrics.registry();
        this.settings = settings;
        this.metric = new MetricSink(registry);
        this.webhooks = new RetryQueue(WebhookSink.CHANNEL, webhook, executor, registry);
        this.mails = new RetryQueue(MailSink.CHANNEL, new MailSink(executor, mailTimeout), executor, registry);
    }

    /** What became of one alert, per channel: ok, failed, dropped, abandoned or off. */
    record Sent(CompletableFuture<String> webhook, CompletableFuture<String> mail) {
    }

    @Override
    public void raise(Alert alert) {
        try {
            send(alert);
        } catch (RuntimeException e) {
            LOG.error("alert could not be handled: {}", alert == null ? "null" : LogSafe.escape(alert.kind(), 40), e);
        }
    }

    /** {@link #raise}, returning the channels' results (tests wait for them). */
    Sent send(Alert alert) {
        String kind = AlertText.kind(alert);
        log.raise(alert);
        metric.raise(alert);
        PostwardenConfig.Alerts s = settings.get();
        if (closed) {
            LOG.debug("alerter closed: alert {} not delivered", LogSafe.escape(kind, 40));
            return new Sent(CompletableFuture.completedFuture(RetryQueue.ABANDONED),
                    CompletableFuture.completedFuture(RetryQueue.ABANDONED));
        }
        return new Sent(webhooks.submit(alert, kind, s), mails.submit(alert, kind, s));
    }

    /** Stops accepting alerts for delivery (they are still logged and counted) and abandons pending retries. */
    @Override
    public void close() {
        closed = true;
        webhooks.close();
        mails.close();
        webhook.close();
    }
}
