package org.postwarden.outbound.alert;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.postwarden.config.PostwardenConfig;
import org.postwarden.outbound.Alert;
import org.postwarden.outbound.alert.Delivery.Outcome;
import org.postwarden.text.LogSafe;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The webhook channel: each alert as a JSON object (kind, subject, summary, details, at, host) POSTed to
 * {@code outbound.alerts.webhook.url}; a 2xx answer delivers it, anything else (or no answer within the timeout) is
 * worth another attempt. Requests are asynchronous ({@link HttpClient#sendAsync}); HTTP/1.1, no redirects.
 * Thread-safe; {@link #close()} stops the HTTP client.
 */
final class WebhookSink implements ChannelSink, AutoCloseable {
    static final String CHANNEL = "webhook";
    private static final Logger LOG = LoggerFactory.getLogger(Alerter.LOGGER);
    private static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);

    private final ObjectMapper json = new ObjectMapper();
    private volatile HttpClient http;
    private volatile String host;

    @Override
    public Delivery delivery(Alert alert, String kind, PostwardenConfig.Alerts settings) {
        PostwardenConfig.Webhook w = settings == null ? null : settings.webhook();
        if (w == null || w.url() == null || w.url().isBlank()) {
            return null;
        }
        return new Post(alert, kind, w);
    }

    /** One alert's POST; its request is built by the first attempt (on the executor: the host name may need DNS). */
    private final class Post implements Delivery {
        private final Alert alert;
        private final String kind;
        private final PostwardenConfig.Webhook w;
        private final Duration timeout;
        private volatile HttpRequest request;

        Post(Alert alert, String kind, PostwardenConfig.Webhook w) {
            this.alert = alert;
            this.kind = kind;
            this.w = w;
            this.timeout = w.timeout() == null || w.timeout().isZero() || w.timeout().isNegative()
                    ? DEFAULT_TIMEOUT : w.timeout();
        }

        @Override
        public int attempts() {
            return Math.max(1, w.attempts());
        }

        @Override
        public Duration retryDelay() {
            return w.retryDelay() == null || w.retryDelay().isNegative() ? Duration.ZERO : w.retryDelay();
        }

        @Override
        public CompletableFuture<Outcome> attempt(int n) {
            URI uri;
            byte[] body;
            if (request == null) {
                try {
                    uri = URI.create(w.url());
                    body = json(alert);
                } catch (RuntimeException e) {
                    LOG.warn("alert webhook for {} not sent: {}", LogSafe.escape(kind, 40), AlertText.describe(e));
                    return CompletableFuture.completedFuture(Outcome.failed());
                }
                try {
                    request = HttpRequest.newBuilder(uri).timeout(timeout)
                            .header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
                } catch (RuntimeException e) {
                    return CompletableFuture.completedFuture(Outcome.retry(AlertText.describe(e)));
                }
            }
            CompletableFuture<HttpResponse<Void>> f;
            try {
                f = client().sendAsync(request, HttpResponse.BodyHandlers.discarding());
            } catch (RuntimeException e) {
                return CompletableFuture.completedFuture(Outcome.retry(AlertText.describe(e)));
            }
            // a guard in case the client's own timeout does not fire (a stuck attempt would hold a pending slot)
            return f.orTimeout(timeout.toMillis() + 5_000, TimeUnit.MILLISECONDS).handle((r, e) -> {
                int status = r == null ? -1 : r.statusCode();
                if (status >= 200 && status < 300) {
                    LOG.debug("alert webhook for {} delivered (HTTP {}, attempt {})", kind, status, n);
                    return Outcome.ok();
                }
                return Outcome.retry(e != null ? AlertText.describe(e) : "HTTP " + status);
            });
        }
    }

    /** Stops the HTTP client (requests under way fail). */
    @Override
    public void close() {
        HttpClient c = http;
        if (c != null) {
            c.shutdownNow();
        }
    }

    private HttpClient client() {
        HttpClient c = http;
        if (c == null) {
            synchronized (this) {
                c = http;
                if (c == null) {
                    c = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                            .followRedirects(HttpClient.Redirect.NEVER).build();
                    http = c;
                }
            }
        }
        return c;
    }

    /** The webhook body: kind, subject, summary, details, at (ISO-8601), host. */
    byte[] json(Alert a) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("kind", a.kind());
        m.put("subject", a.subject());
        m.put("summary", a.summary());
        m.put("details", a.details());
        m.put("at", Instant.ofEpochMilli(a.atMillis()).toString());
        m.put("host", host());
        try {
            return json.writeValueAsBytes(m);
        } catch (JsonProcessingException e) {
            // a detail value Jackson cannot write: send every detail as text instead
            Map<String, Object> text = new TreeMap<>();
            a.details().forEach((k, v) -> text.put(k, String.valueOf(v)));
            m.put("details", text);
            try {
                return json.writeValueAsBytes(m);
            } catch (JsonProcessingException again) {
                throw new IllegalStateException("alert not serialisable: " + again.getOriginalMessage(), again);
            }
        }
    }

    /** This host's name (looked up once, on the executor: it may ask DNS). */
    private String host() {
        String h = host;
        if (h == null) {
            try {
                h = InetAddress.getLocalHost().getHostName();
            } catch (IOException | RuntimeException e) {
                h = "localhost";
            }
            host = h;
        }
        return h;
    }
}
