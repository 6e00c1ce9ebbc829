package org.postwarden.outbound.alert;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postwarden.config.PostwardenConfig;
import org.postwarden.metrics.PostwardenMetrics;
import org.postwarden.outbound.Alert;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.DoubleSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Alert delivery against a real HTTP server on the loopback interface and a shell script standing in for sendmail.
 * Nothing sleeps: results are awaited through the futures {@link Alerter#send} returns (bounded waits).
 */
class AlerterTest {
    private static final long T0 = Instant.parse("2025-11-22T10:00:00Z").toEpochMilli();
    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final PostwardenMetrics metrics = new PostwardenMetrics(registry);
    private final Queue<String> bodies = new ConcurrentLinkedQueue<>();
    private final Queue<String> contentTypes = new ConcurrentLinkedQueue<>();
    private final Queue<Integer> answers = new ConcurrentLinkedQueue<>();
    private volatile int defaultAnswer = 200;
    private ScheduledExecutorService executor;
    private HttpServer server;

    @BeforeEach
    void start() throws IOException {
        executor = Executors.newScheduledThreadPool(2);
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/hook", ex -> {
            bodies.add(new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            contentTypes.add(String.valueOf(ex.getRequestHeaders().getFirst("Content-Type")));
            Integer code = answers.poll();
            ex.sendResponseHeaders(code == null ? defaultAnswer : code, -1);
            ex.close();
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
        executor.shutdownNow();
    }

    private String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/hook";
    }

    private static PostwardenConfig.Alerts settings(String url, int attempts, List<String> mail) {
        return new PostwardenConfig.Alerts(new PostwardenConfig.Webhook(url, Duration.ofSeconds(5), attempts,
                Duration.ofMillis(10)), new PostwardenConfig.AlertMail(mail, "postmaster", "postwarden"));
    }

    private static Alert alert(String summary) {
        return new Alert("outbound-suspension", "user:alice", summary,
                Map.of("messages", 1234, "threshold", 200.5, "networks", List.of("192.0.2.0/24")), T0);
    }

    private double deliveries(String channel, String result) {
        Counter c = registry.find("postwarden.alert.deliveries").tags("channel", channel, "result", result)
                .counter();
        return c == null ? 0 : c.count();
    }

    private static String await(java.util.concurrent.CompletableFuture<String> f) throws Exception {
        return f.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Test
    void webhookGetsTheAlertAsJson() throws Exception {
        try (Alerter a = new Alerter(() -> settings(url(), 3, List.of()), metrics, executor)) {
            Alerter.Sent sent = a.send(alert("alice sent 1234 messages in an hour"));
            assertEquals("ok", await(sent.webhook()));
            assertEquals("off", await(sent.mail()));
        }
        assertEquals(1, bodies.size());
        assertEquals("application/json", contentTypes.peek());
        JsonNode j = new ObjectMapper().readTree(bodies.peek());
        assertEquals("outbound-suspension", j.get("kind").asText());
        assertEquals("user:alice", j.get("subject").asText());
        assertEquals("alice sent 1234 messages in an hour", j.get("summary").asText());
        assertEquals(1234, j.get("details").get("messages").asInt());
        assertEquals(200.5, j.get("details").get("threshold").asDouble());
        assertEquals("192.0.2.0/24", j.get("details").get("networks").get(0).asText());
        assertEquals(T0, Instant.parse(j.get("at").asText()).toEpochMilli());
        assertFalse(j.get("host").asText().isEmpty());
        assertEquals(1, deliveries("webhook", "ok"));
        assertEquals(1, registry.find("postwarden.alerts").tags("kind", "outbound-suspension").counter().count());
    }

    @Test
    void serverErrorsAreRetriedUntilASuccess() throws Exception {
        answers.add(500);
        answers.add(500);
        try (Alerter a = new Alerter(() -> settings(url(), 4, List.of()), metrics, executor)) {
            assertEquals("ok", await(a.send(alert("x")).webhook()));
        }
        assertEquals(3, bodies.size(), "two failures, then the success ends the attempts");
        assertEquals(2, deliveries("webhook", "retry"));
        assertEquals(1, deliveries("webhook", "ok"));
        assertEquals(0, deliveries("webhook", "failed"));
    }

    @Test
    void whenEveryAttemptFailsTheDeliveryFails() throws Exception {
        defaultAnswer = 503;
        try (Alerter a = new Alerter(() -> settings(url(), 3, List.of()), metrics, executor)) {
            assertEquals("failed", await(a.send(alert("x")).webhook()));
        }
        assertEquals(3, bodies.size());
        assertEquals(2, deliveries("webhook", "retry"));
        assertEquals(1, deliveries("webhook", "failed"));
    }

    @Test
    void anUnreachableWebhookFailsToo() throws Exception {
        String gone = url();
        server.stop(0);
        try (Alerter a = new Alerter(() -> settings(gone, 2, List.of()), metrics, executor)) {
            assertEquals("failed", await(a.send(alert("x")).webhook()));
        }
        assertEquals(1, deliveries("webhook", "retry"));
        assertEquals(1, deliveries("webhook", "failed"));
    }

    @Test
    void atMostAHundredAlertsWaitAndMoreAreDropped() throws Exception {
        ScheduledExecutorService one = Executors.newSingleThreadScheduledExecutor();
        CountDownLatch release = new CountDownLatch(1);
        Logger alerts = (Logger) LoggerFactory.getLogger(Alerter.LOGGER);
        alerts.setLevel(ch.qos.logback.classic.Level.ERROR); // 102 alert lines say nothing here
        one.execute(() -> {
            try {
                release.await(); // keeps every delivery waiting in the executor's queue
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        try (Alerter a = new Alerter(() -> settings(url(), 1, List.of()), metrics, one)) {
            List<Alerter.Sent> sent = new ArrayList<>();
            for (int i = 0; i < RetryQueue.MAX_PENDING + 1; i++) {
                sent.add(a.send(alert("alert " + i)));
            }
            assertEquals("dropped", await(sent.get(RetryQueue.MAX_PENDING).webhook()));
            assertEquals(1, deliveries("webhook", "dropped"));
            release.countDown();
            for (int i = 0; i < RetryQueue.MAX_PENDING; i++) {
                assertEquals("ok", await(sent.get(i).webhook()));
            }
            assertEquals("ok", await(a.send(alert("after")).webhook()), "slots are given back");
        } finally {
            one.shutdownNow();
            alerts.setLevel(null);
        }
        assertEquals(RetryQueue.MAX_PENDING + 1, deliveries("webhook", "ok"));
    }

    @Test
    void closeAbandonsPendingRetries() throws Exception {
        defaultAnswer = 500;
        PostwardenConfig.Alerts s = new PostwardenConfig.Alerts(new PostwardenConfig.Webhook(url(),
                Duration.ofSeconds(5), 5, Duration.ofHours(1)), new PostwardenConfig.AlertMail(List.of(), "p", "w"));
        Alerter a = new Alerter(() -> s, metrics, executor);
        Alerter.Sent sent = a.send(alert("x"));
        poll(() -> deliveries("webhook", "retry"), 1, "the first attempt failed");
        a.close();
        assertEquals("abandoned", await(sent.webhook()));
        assertEquals(1, bodies.size());
        assertEquals("abandoned", await(a.send(alert("after close")).webhook()), "closed: not accepted");
        assertEquals(2, registry.find("postwarden.alerts").counter().count(), "still logged and counted");
    }

    @Test
    void mailIsWrittenToTheCommandsInput() throws Exception {
        Path script = dir.resolve("mail.sh");
        Path out = dir.resolve("message.txt");
        Files.writeString(script, "cat > \"$1\"\n");
        List<String> command = List.of("/bin/sh", script.toString(), out.toString());
        try (Alerter a = new Alerter(() -> settings("", 1, command), metrics, executor)) {
            Alerter.Sent sent = a.send(alert("Sender alice suspended\r\nBcc: victim@example.org\nX-Evil: 1"));
            assertEquals("off", await(sent.webhook()));
            assertEquals("ok", await(sent.mail()));
        }
        String m = Files.readString(out, StandardCharsets.UTF_8);
        int split = m.indexOf("\n\n");
        assertTrue(split > 0, m);
        List<String> headers = m.substring(0, split).lines().toList();
        String body = m.substring(split + 2);
        assertTrue(headers.contains("From: postwarden"), m);
        assertTrue(headers.contains("To: postmaster"), m);
        assertTrue(headers.contains("Auto-Submitted: auto-generated"), m);
        assertTrue(headers.contains("Content-Type: text/plain; charset=UTF-8"), m);
        assertTrue(headers.stream().anyMatch(h -> h.startsWith("Date: ") && h.contains(" 2025 ")), m);
        String subject = headers.stream().filter(h -> h.startsWith("Subject: ")).findFirst().orElseThrow();
        assertTrue(subject.startsWith("Subject: [postwarden] outbound-suspension: Sender alice suspended"), subject);
        assertTrue(headers.stream().noneMatch(h -> h.startsWith("Bcc:") || h.startsWith("X-Evil:")),
                "a line break in the summary makes no header: " + headers);
        assertTrue(headers.stream().allMatch(h -> h.indexOf(':') > 0 && !h.contains("\r")), "only headers");
        assertTrue(body.startsWith("Sender alice suspended\\x0D\\x0ABcc: victim@example.org\\x0AX-Evil: 1\n"), body);
        assertTrue(body.contains("\nsubject: user:alice\n"), body);
        assertTrue(body.contains("\nmessages: 1234\n"), body);
        assertTrue(body.contains("\nthreshold: 200.5\n"), body);
        assertEquals(1, deliveries("mail", "ok"));
    }

    @Test
    void aFailingMailCommandIsLoggedWithItsExitCodeAndError() throws Exception {
        Path script = dir.resolve("fail.sh");
        Files.writeString(script, "cat > /dev/null\necho 'sendmail: fatal: no recipients' >&2\necho more >&2\n"
                + "exit 3\n");
        ListAppender<ILoggingEvent> logs = capture();
        try (Alerter a = new Alerter(() -> settings("", 1, List.of("/bin/sh", script.toString())), metrics,
                executor)) {
            assertEquals("failed", await(a.send(alert("x")).mail()));
        } finally {
            release(logs);
        }
        assertEquals(1, deliveries("mail", "failed"));
        assertTrue(logs.list.stream().anyMatch(e -> e.getFormattedMessage().contains(
                "exit code 3: sendmail: fatal: no recipients")), () -> messages(logs));
    }

    @Test
    void aMailCommandThatWritesMuchToStandardErrorIsNotStalled() throws Exception {
        // 300 KB on stderr: far past a pipe's buffer, so a command whose stderr nobody reads would hang until killed
        Path loud = dir.resolve("loud.sh");
        Files.writeString(loud, "cat > /dev/null\necho 'sendmail: fatal: queue file write error' >&2\n"
                + "head -c 300000 /dev/zero | tr '\\0' x >&2\nexit 75\n");
        Path chatty = dir.resolve("chatty.sh");
        Files.writeString(chatty, "cat > /dev/null\nhead -c 300000 /dev/zero | tr '\\0' x >&2\nexit 0\n");
        ListAppender<ILoggingEvent> logs = capture();
        try {
            try (Alerter a = new Alerter(() -> settings("", 1, List.of("/bin/sh", loud.toString())), metrics,
                    executor, Duration.ofSeconds(60))) {
                assertEquals("failed", await(a.send(alert("x")).mail()));
            }
            try (Alerter a = new Alerter(() -> settings("", 1, List.of("/bin/sh", chatty.toString())), metrics,
                    executor, Duration.ofSeconds(60))) {
                assertEquals("ok", await(a.send(alert("x")).mail()));
            }
        } finally {
            release(logs);
        }
        assertTrue(logs.list.stream().anyMatch(e -> e.getFormattedMessage().contains(
                "exit code 75: sendmail: fatal: queue file write error")), () -> messages(logs));
        assertFalse(logs.list.stream().anyMatch(e -> e.getFormattedMessage().contains("killed after")),
                () -> messages(logs));
        assertEquals(1, deliveries("mail", "failed"));
        assertEquals(1, deliveries("mail", "ok"));
    }

    @Test
    void aHangingMailCommandIsKilled() throws Exception {
        Path script = dir.resolve("hang.sh");
        Files.writeString(script, "exec tail -f /dev/null\n");
        try (Alerter a = new Alerter(() -> settings("", 1, List.of("/bin/sh", script.toString())), metrics,
                executor, Duration.ofMillis(200))) {
            assertEquals("failed", await(a.send(alert("x")).mail()));
        }
        assertEquals(1, deliveries("mail", "failed"));
    }

    @Test
    void aMissingMailCommandFails() throws Exception {
        try (Alerter a = new Alerter(() -> settings("", 1, List.of(dir.resolve("nope").toString())), metrics,
                executor)) {
            assertEquals("failed", await(a.send(alert("x")).mail()));
        }
        assertEquals(1, deliveries("mail", "failed"));
    }

    @Test
    void theLogLineEscapesControlCharacters() throws Exception {
        ListAppender<ILoggingEvent> logs = capture();
        AtomicReference<ILoggingEvent> warn = new AtomicReference<>();
        try (Alerter a = new Alerter(() -> settings("", 1, List.of()), metrics, executor)) {
            a.raise(new Alert("queue-depth", "user:evil\nFAKE LINE", "sum\rmary", Map.of("k", "v\u001b[31m"), T0));
        } finally {
            release(logs);
        }
        logs.list.stream().filter(e -> e.getLoggerName().equals(Alerter.LOGGER)).findFirst().ifPresent(warn::set);
        String m = warn.get().getFormattedMessage();
        assertEquals("WARN", warn.get().getLevel().toString());
        assertTrue(m.contains("queue-depth") && m.contains("user:evil\\x0AFAKE LINE") && m.contains("sum\\x0Dmary")
                && m.contains("\\x1B[31m"), m);
        assertTrue(m.chars().noneMatch(c -> c < 0x20), m);
    }

    @Test
    void nonAsciiSubjectsAreEncoded() {
        String s = MailMessage.encodeWord("[postwarden] queue-depth: Müller 😀 " + "x".repeat(80));
        assertTrue(s.startsWith("=?UTF-8?B?"), s);
        assertTrue(s.lines().allMatch(l -> l.strip().length() <= 75), s);
        assertEquals("plain", MailMessage.encodeWord("plain"));
        assertEquals("a b", MailMessage.headerText("a\r\nb", 200).replace("  ", " "));
    }

    @Test
    void retryDelaysDouble() {
        assertEquals(10, RetryQueue.delayMillis(Duration.ofMillis(10), 1));
        assertEquals(20, RetryQueue.delayMillis(Duration.ofMillis(10), 2));
        assertEquals(40, RetryQueue.delayMillis(Duration.ofMillis(10), 3));
        assertEquals(Duration.ofHours(1).toMillis(), RetryQueue.delayMillis(Duration.ofMinutes(40), 20));
    }

    /** Waits (bounded, without sleeping) until {@code value} reaches {@code at least}. */
    private static void poll(DoubleSupplier value, double atLeast, String what) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (value.getAsDouble() < atLeast) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out: " + what);
            }
            Thread.onSpinWait();
        }
    }

    private static ListAppender<ILoggingEvent> capture() {
        ListAppender<ILoggingEvent> a = new ListAppender<>();
        a.start();
        ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).addAppender(a);
        return a;
    }

    private static void release(ListAppender<ILoggingEvent> a) {
        ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).detachAppender(a);
    }

    private static String messages(ListAppender<ILoggingEvent> logs) {
        return logs.list.stream().map(ILoggingEvent::getFormattedMessage).toList().toString();
    }
}
