package org.postwarden.outbound.alert;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.postwarden.config.PostwardenConfig;
import org.postwarden.metrics.PostwardenMetrics;
import org.postwarden.outbound.Alert;
import org.postwarden.outbound.AlertSink;
import org.postwarden.text.LogSafe;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Delivers alerts: a WARN on logger {@code org.postwarden.alert} and {@code postwarden_alerts_total{kind}} at once,
 * then, on the executor, a webhook POST and a mail as {@code outbound.alerts} says (read per alert: reloads apply).
 * See the package documentation for threading and limits.
 */
public final class Alerter implements AlertSink, AutoCloseable {
    /** The logger every alert is written to. */
    public static final String LOGGER = "org.postwarden.alert";
    private static final Logger LOG = LoggerFactory.getLogger(LOGGER);
    /** Alerts waiting for delivery, per channel, at most; more are dropped. */
    static final int MAX_PENDING = 100;
    /** How long a mail command may run before it is killed. */
    static final Duration MAIL_TIMEOUT = Duration.ofSeconds(30);
    private static final long MAX_RETRY_DELAY_MILLIS = Duration.ofHours(1).toMillis();
    private static final int SUBJECT_MAX = 200;
    private static final int SUMMARY_MAX = 300;
    private static final int DETAILS_MAX = 1000;
    private static final int HEADER_MAX = 200;
    private static final int BODY_LINE_MAX = 900;
    private static final int MAX_DETAIL_LINES = 30;
    private static final DateTimeFormatter MAIL_DATE =
            DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss Z", Locale.ENGLISH);

    /** Channel results (metric label {@code result}; "off" and "abandoned" are never counted). */
    static final String OK = "ok";
    static final String RETRY = "retry";
    static final String FAILED = "failed";
    static final String DROPPED = "dropped";
    static final String ABANDONED = "abandoned";
    static final String OFF = "off";

    private final Supplier<PostwardenConfig.Alerts> settings;
    private final MeterRegistry registry;
    private final ScheduledExecutorService executor;
    private final Duration mailTimeout;
    private final ObjectMapper json = new ObjectMapper();
    private final AtomicInteger webhookPending = new AtomicInteger();
    private final AtomicInteger mailPending = new AtomicInteger();
    /** Scheduled webhook retries; whoever removes one (its task, or close) owns it. */
    private final Set<Retry> retries = ConcurrentHashMap.newKeySet();
    private final Map<String, Counter> deliveries = new ConcurrentHashMap<>();
    private volatile boolean closed;
    private volatile HttpClient http;
    private volatile String host;

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
        this.settings = settings;
        this.registry = metrics.registry();
        this.executor = executor;
        this.mailTimeout = mailTimeout;
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
        String kind = alert.kind() == null || alert.kind().isEmpty() ? "unknown" : alert.kind();
        LOG.warn("alert {}: {}: {} {}", LogSafe.escape(kind, 40), LogSafe.escape(alert.subject(), SUBJECT_MAX),
                LogSafe.escape(alert.summary(), SUMMARY_MAX), LogSafe.escape(render(alert.details()), DETAILS_MAX));
        // same meter as the log-signal alerts (SignalRecorder): same name, tag and description
        Counter.builder("postwarden.alerts").description("Alerts raised (log signals, outbound guard, queue watcher)").tag("kind", kind)
                .register(registry).increment();
        CompletableFuture<String> webhook = new CompletableFuture<>();
        CompletableFuture<String> mail = new CompletableFuture<>();
        PostwardenConfig.Alerts s = settings.get();
        if (closed) {
            LOG.debug("alerter closed: alert {} not delivered", LogSafe.escape(kind, 40));
            webhook.complete(ABANDONED);
            mail.complete(ABANDONED);
            return new Sent(webhook, mail);
        }
        PostwardenConfig.Webhook w = s == null ? null : s.webhook();
        if (w == null || w.url() == null || w.url().isBlank()) {
            webhook.complete(OFF);
        } else {
            Job job = new Job("webhook", alert, kind, webhookPending, webhook);
            if (job.admit()) {
                int attempts = Math.max(1, w.attempts());
                if (!execute(job, () -> firstAttempt(job, w, attempts))) {
                    job.finish(ABANDONED);
                }
            }
        }
        PostwardenConfig.AlertMail m = s == null ? null : s.mail();
        if (m == null || m.command() == null || m.command().isEmpty()) {
            mail.complete(OFF);
        } else {
            Job job = new Job("mail", alert, kind, mailPending, mail);
            if (job.admit()) {
                List<String> command = List.copyOf(m.command());
                if (!execute(job, () -> mail(job, command, m.to(), m.from()))) {
                    job.finish(ABANDONED);
                }
            }
        }
        return new Sent(webhook, mail);
    }

    /** Stops accepting alerts for delivery (they are still logged and counted) and abandons pending retries. */
    @Override
    public void close() {
        closed = true;
        int abandoned = 0;
        for (Retry r : retries) {
            if (retries.remove(r)) {
                ScheduledFuture<?> f = r.future;
                if (f != null) {
                    f.cancel(false);
                }
                r.job.finish(ABANDONED);
                abandoned++;
            }
        }
        if (abandoned > 0) {
            LOG.warn("alerter closed: {} pending webhook retries abandoned", abandoned);
        }
        HttpClient c = http;
        if (c != null) {
            c.shutdownNow();
        }
    }

    // --- webhook --------------------------------------------------------------------------------------------------

    private void firstAttempt(Job job, PostwardenConfig.Webhook w, int attempts) {
        byte[] body;
        URI uri;
        try {
            uri = URI.create(w.url());
            body = json(job.alert);
        } catch (RuntimeException e) {
            LOG.warn("alert webhook for {} not sent: {}", LogSafe.escape(job.kind, 40), describe(e));
            job.count(FAILED);
            job.finish(FAILED);
            return;
        }
        Duration timeout = w.timeout() == null || w.timeout().isZero() || w.timeout().isNegative()
                ? Duration.ofSeconds(5) : w.timeout();
        Duration retryDelay = w.retryDelay() == null || w.retryDelay().isNegative() ? Duration.ZERO : w.retryDelay();
        attempt(new Post(job, uri, body, timeout, attempts, retryDelay), 1);
    }

    private record Post(Job job, URI uri, byte[] body, Duration timeout, int attempts, Duration retryDelay) {
    }

    private void attempt(Post p, int n) {
        if (closed) {
            p.job.finish(ABANDONED);
            return;
        }
        CompletableFuture<HttpResponse<Void>> f;
        try {
            HttpRequest request = HttpRequest.newBuilder(p.uri).timeout(p.timeout)
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(p.body)).build();
            f = client().sendAsync(request, HttpResponse.BodyHandlers.discarding());
        } catch (RuntimeException e) {
            attempted(p, n, -1, e);
            return;
        }
        // a guard in case the client's own timeout does not fire (a stuck attempt would hold a pending slot)
        f.orTimeout(p.timeout.toMillis() + 5_000, TimeUnit.MILLISECONDS).whenComplete((r, e) -> {
            int status = r == null ? -1 : r.statusCode();
            if (!execute(p.job, () -> attempted(p, n, status, e))) {
                attempted(p, n, status, e);
            }
        });
    }

    private void attempted(Post p, int n, int status, Throwable error) {
        Job job = p.job;
        if (status >= 200 && status < 300) {
            LOG.debug("alert webhook for {} delivered (HTTP {}, attempt {})", job.kind, status, n);
            job.count(OK);
            job.finish(OK);
            return;
        }
        String why = error != null ? describe(error) : "HTTP " + status;
        if (closed) {
            LOG.warn("alert webhook for {} abandoned at close after attempt {}: {}", LogSafe.escape(job.kind, 40), n,
                    why);
            job.finish(ABANDONED);
            return;
        }
        if (n < p.attempts) {
            long delay = delayMillis(p.retryDelay, n);
            job.count(RETRY);
            LOG.info("alert webhook for {}: attempt {}/{} failed ({}); next in {} ms", LogSafe.escape(job.kind, 40), n,
                    p.attempts, why, delay);
            Retry r = new Retry(job);
            retries.add(r);
            try {
                r.future = executor.schedule(() -> {
                    if (retries.remove(r)) {
                        attempt(p, n + 1);
                    }
                }, delay, TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException e) {
                if (retries.remove(r)) {
                    LOG.warn("alert webhook for {} abandoned: executor stopped", LogSafe.escape(job.kind, 40));
                    job.finish(ABANDONED);
                }
                return;
            }
            if (closed && retries.remove(r)) {
                // close() ran while this retry was being scheduled and did not see it
                r.future.cancel(false);
                LOG.warn("alert webhook for {} abandoned at close", LogSafe.escape(job.kind, 40));
                job.finish(ABANDONED);
            }
            return;
        }
        LOG.warn("alert webhook for {} failed after {} attempt(s): {}", LogSafe.escape(job.kind, 40), n, why);
        job.count(FAILED);
        job.finish(FAILED);
    }

    /** The wait after the {@code failed}-th failed attempt: {@code base}, doubled for each further one, capped. */
    static long delayMillis(Duration base, int failed) {
        long d = Math.min(base.toMillis(), MAX_RETRY_DELAY_MILLIS);
        for (int i = 1; i < failed && d < MAX_RETRY_DELAY_MILLIS; i++) {
            d = Math.min(d * 2, MAX_RETRY_DELAY_MILLIS);
        }
        return d;
    }

    private static final class Retry {
        final Job job;
        volatile ScheduledFuture<?> future;

        Retry(Job job) {
            this.job = job;
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

    // --- mail -----------------------------------------------------------------------------------------------------

    private void mail(Job job, List<String> command, String to, String from) {
        if (closed) {
            job.finish(ABANDONED);
            return;
        }
        byte[] message = message(job.alert, job.kind, to, from).getBytes(StandardCharsets.UTF_8);
        Process p;
        try {
            p = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        } catch (IOException | RuntimeException e) {
            mailFailed(job, "cannot start " + LogSafe.escape(command.get(0), 100) + ": " + describe(e));
            return;
        }
        AtomicBoolean killed = new AtomicBoolean();
        ScheduledFuture<?> killer;
        try {
            killer = executor.schedule(() -> {
                if (p.isAlive()) {
                    killed.set(true);
                    p.descendants().forEach(ProcessHandle::destroyForcibly);
                    p.destroyForcibly();
                }
            }, mailTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            killer = null;
        }
        String writeError = null;
        try (OutputStream in = p.getOutputStream()) {
            in.write(message);
        } catch (IOException e) {
            writeError = describe(e); // it exited (or closed its input) early: its exit status tells
        }
        ScheduledFuture<?> k = killer;
        String w = writeError;
        p.onExit().whenComplete((x, e) -> {
            if (k != null) {
                k.cancel(false);
            }
            if (!execute(job, () -> mailDone(job, p, killed.get(), w))) {
                mailDone(job, p, killed.get(), w);
            }
        });
    }

    private void mailDone(Job job, Process p, boolean killed, String writeError) {
        if (killed) {
            mailFailed(job, "killed after " + mailTimeout.toMillis() + " ms");
            return;
        }
        int code = p.exitValue();
        if (code != 0) {
            mailFailed(job, "exit code " + code + ": " + firstLine(p.getErrorStream()));
            return;
        }
        close(p.getErrorStream());
        if (writeError != null) {
            LOG.debug("alert mail command closed its input early ({}) but succeeded", writeError);
        }
        LOG.debug("alert mail for {} handed over", job.kind);
        job.count(OK);
        job.finish(OK);
    }

    private void mailFailed(Job job, String why) {
        LOG.warn("alert mail for {} failed: {}", LogSafe.escape(job.kind, 40), why);
        job.count(FAILED);
        job.finish(FAILED);
    }

    /** The first line of what an exited process wrote to stderr (only what is buffered: never blocks). */
    private static String firstLine(InputStream err) {
        try (err) {
            int n = Math.min(err.available(), 4096);
            byte[] b = err.readNBytes(n);
            String s = new String(b, StandardCharsets.UTF_8).strip();
            int nl = s.indexOf('\n');
            return LogSafe.escape(nl < 0 ? s : s.substring(0, nl), 200);
        } catch (IOException e) {
            return "";
        }
    }

    private static void close(InputStream in) {
        try {
            in.close();
        } catch (IOException e) {
            // nothing to do
        }
    }

    /**
     * The mail of {@code a}, as a local submission program (sendmail) reads it: header lines, a blank line, the
     * body; LF line ends. Header values are on one line (line breaks and other control characters removed) and
     * capped; text with non-ASCII characters is RFC 2047 encoded.
     */
    static String message(Alert a, String kind, String to, String from) {
        StringBuilder sb = new StringBuilder(512);
        sb.append("From: ").append(headerText(from, HEADER_MAX)).append('\n');
        sb.append("To: ").append(headerText(to, HEADER_MAX)).append('\n');
        sb.append("Subject: ").append(encodeWord(headerText("[postwarden] " + kind + ": " + a.summary(),
                HEADER_MAX))).append('\n');
        sb.append("Date: ").append(MAIL_DATE.format(Instant.ofEpochMilli(a.atMillis()).atZone(ZoneId.systemDefault())))
                .append('\n');
        sb.append("Auto-Submitted: auto-generated\n");
        sb.append("MIME-Version: 1.0\n");
        sb.append("Content-Type: text/plain; charset=UTF-8\n");
        sb.append("Content-Transfer-Encoding: 8bit\n");
        sb.append('\n');
        sb.append(bodyLine(a.summary())).append('\n');
        sb.append('\n');
        sb.append(bodyLine("subject: " + a.subject())).append('\n');
        // bounded (< 32 KiB in all), so writing it to a pipe never waits for the reader
        int lines = 0;
        for (Map.Entry<String, Object> d : new TreeMap<>(a.details()).entrySet()) {
            if (lines++ == MAX_DETAIL_LINES) {
                sb.append("... ").append(a.details().size() - MAX_DETAIL_LINES).append(" more\n");
                break;
            }
            sb.append(bodyLine(d.getKey() + ": " + d.getValue())).append('\n');
        }
        return sb.toString();
    }

    /** One header line's text: control characters (CR, LF, ...) become spaces, at most {@code max} characters. */
    static String headerText(String s, int max) {
        if (s == null) {
            return "";
        }
        StringBuilder sb = new StringBuilder(Math.min(s.length(), max));
        for (int i = 0; i < s.length() && sb.length() < max; i++) {
            char c = s.charAt(i);
            sb.append(c < 0x20 || c == 0x7F ? ' ' : c);
        }
        if (sb.length() > 0 && Character.isHighSurrogate(sb.charAt(sb.length() - 1))) {
            sb.setLength(sb.length() - 1);
        }
        return sb.toString().strip();
    }

    /** {@code s} as is when it is ASCII, else RFC 2047 encoded words ({@code =?UTF-8?B?...?=}), folded. */
    static String encodeWord(String s) {
        if (s.chars().allMatch(c -> c < 0x80)) {
            return s;
        }
        StringBuilder sb = new StringBuilder();
        int i = 0;
        while (i < s.length()) {
            // at most 45 bytes per word: 60 base64 characters + 12 = 72 (< 75)
            int end = i;
            int bytes = 0;
            while (end < s.length()) {
                int cp = s.codePointAt(end);
                int len = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
                if (bytes + len > 45) {
                    break;
                }
                bytes += len;
                end += Character.charCount(cp);
            }
            if (sb.length() > 0) {
                sb.append("\n ");
            }
            sb.append("=?UTF-8?B?").append(java.util.Base64.getEncoder().encodeToString(
                    s.substring(i, end).getBytes(StandardCharsets.UTF_8))).append("?=");
            i = end;
        }
        return sb.toString();
    }

    /** One body line: control characters escaped ({@code \xHH}), other text (UTF-8) kept, capped. */
    private static String bodyLine(String text) {
        String s = text == null ? "" : text;
        StringBuilder sb = new StringBuilder(Math.min(s.length(), BODY_LINE_MAX) + 8);
        for (int i = 0; i < s.length(); i++) {
            if (sb.length() >= BODY_LINE_MAX) {
                sb.append("...");
                break;
            }
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7F) {
                sb.append(String.format("\\x%02X", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    // --- common ---------------------------------------------------------------------------------------------------

    /** One alert on one channel: holds a pending slot until it is finished, exactly once. */
    private final class Job {
        final String channel;
        final Alert alert;
        final String kind;
        final AtomicInteger pending;
        final CompletableFuture<String> done;
        final AtomicBoolean finished = new AtomicBoolean();

        Job(String channel, Alert alert, String kind, AtomicInteger pending, CompletableFuture<String> done) {
            this.channel = channel;
            this.alert = alert;
            this.kind = kind;
            this.pending = pending;
            this.done = done;
        }

        /** Takes a pending slot, or counts and logs the drop. */
        boolean admit() {
            if (pending.incrementAndGet() > MAX_PENDING) {
                pending.decrementAndGet();
                finished.set(true);
                count(DROPPED);
                LOG.warn("alert {} not sent by {}: {} alerts already pending", LogSafe.escape(kind, 40), channel,
                        MAX_PENDING);
                done.complete(DROPPED);
                return false;
            }
            return true;
        }

        void count(String result) {
            deliveries.computeIfAbsent(channel + "|" + result, k -> Counter.builder("postwarden.alert.deliveries")
                    .description("Alert deliveries by channel (webhook, mail) and result")
                    .tags("channel", channel, "result", result).register(registry)).increment();
        }

        void finish(String result) {
            if (finished.compareAndSet(false, true)) {
                pending.decrementAndGet();
                done.complete(result);
            }
        }
    }

    /** Runs {@code task} on the executor (false: rejected); a task that throws fails its job. */
    private boolean execute(Job job, Runnable task) {
        try {
            executor.execute(() -> {
                try {
                    task.run();
                } catch (RuntimeException e) {
                    LOG.error("alert {} delivery by {} failed", LogSafe.escape(job.kind, 40), job.channel, e);
                    if (!job.finished.get()) {
                        job.count(FAILED);
                        job.finish(FAILED);
                    }
                }
            });
            return true;
        } catch (RejectedExecutionException e) {
            return false;
        }
    }

    private static String render(Map<String, Object> details) {
        return details == null || details.isEmpty() ? "{}" : new TreeMap<>(details).toString();
    }

    private static String describe(Throwable e) {
        Throwable t = e;
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        String m = t.getMessage();
        return t.getClass().getSimpleName() + (m == null ? "" : ": " + LogSafe.escape(m, 200));
    }
}
