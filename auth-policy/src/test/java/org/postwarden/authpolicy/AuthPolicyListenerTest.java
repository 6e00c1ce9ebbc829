package org.postwarden.authpolicy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postwarden.api.AuthAttempt;
import org.postwarden.api.AuthVerdict;
import org.postwarden.api.Engine;
import org.postwarden.api.ForwardingEngine;
import org.postwarden.config.load.ConfigLoader;
import org.postwarden.engine.DecisionEngine;
import org.postwarden.metrics.PostwardenMetrics;
import org.postwarden.model.ManualTimeSource;
import org.postwarden.reputation.memory.MemoryReputationStore;
import org.postwarden.rules.Rules;
import org.postwarden.runtime.DaemonContext;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The auth-policy listener on a real socket (port 0): Dovecot's requests on keep-alive connections, the API header,
 * and hostile input that closes its own connection only. The engine runs on a manual clock; the only waits are for
 * the server to close a connection.
 */
class AuthPolicyListenerTest {
    final ManualTimeSource time = new ManualTimeSource(1_800_000_000_000L);
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    AuthPolicyListener listener;

    @AfterEach
    void stop() {
        if (listener != null) {
            listener.stop(java.time.Duration.ofSeconds(1));
        }
    }

    InetSocketAddress start(String yaml) throws Exception {
        return start(yaml, "", null);
    }

    /** {@code auth} holds more keys of the auth-policy section, indented by two spaces. */
    InetSocketAddress start(String yaml, String auth, java.util.function.Function<Engine, Engine> wrap)
            throws Exception {
        Rules rules = new Rules(ConfigLoader.load("test", """
                auth-policy:
                  enabled: true
                  listen: 127.0.0.1:0
                  request-timeout: 300ms
                  max-request-bytes: 2048
                """ + auth + yaml));
        PostwardenMetrics metrics = new PostwardenMetrics(registry);
        Engine engine = new DecisionEngine(rules, new MemoryReputationStore(rules.storeSettings(), time), metrics);
        listener = new AuthPolicyListener(new DaemonContext(wrap == null ? engine : wrap.apply(engine), metrics, time));
        listener.start();
        return listener.boundAddress();
    }

    static String post(String command, String json, String extraHeaders) {
        byte[] b = json.getBytes(StandardCharsets.UTF_8);
        return "POST /?command=" + command + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + extraHeaders + "Content-Length: " + b.length + "\r\n\r\n" + json;
    }

    static String attempt(String user, String pw, String remote) {
        return "{\"device_id\":\"\",\"login\":\"" + user + "\",\"protocol\":\"imap\",\"pwhash\":\"" + pw
                + "\",\"remote\":\"" + remote + "\",\"session_id\":\"s1\"}";
    }

    static String report(String user, String pw, String remote, boolean ok) {
        return "{\"device_id\":\"\",\"login\":\"" + user + "\",\"protocol\":\"imap\",\"pwhash\":\"" + pw
                + "\",\"remote\":\"" + remote + "\",\"session_id\":\"s1\",\"success\":" + ok
                + ",\"policy_reject\":false}";
    }

    /** One response read off {@code in}: status line and headers, then Content-Length bytes of body. */
    static String[] read(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) >= 0) {
            head.write(c);
            byte[] h = head.toByteArray();
            int n = h.length;
            if (n >= 4 && h[n - 4] == '\r' && h[n - 3] == '\n' && h[n - 2] == '\r' && h[n - 1] == '\n') {
                break;
            }
        }
        String headers = head.toString(StandardCharsets.ISO_8859_1);
        if (headers.isEmpty()) {
            return null;
        }
        int len = 0;
        for (String line : headers.split("\r\n")) {
            if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
                len = Integer.parseInt(line.substring(15).trim());
            }
        }
        byte[] body = in.readNBytes(len);
        return new String[] {headers.substring(0, headers.indexOf("\r\n")), new String(body, StandardCharsets.UTF_8),
                headers};
    }

    /** Whether the server closed the connection (read returns -1) rather than answering more. */
    static boolean closed(Socket s) throws IOException {
        s.setSoTimeout(10_000);
        InputStream in = s.getInputStream();
        while (in.read() >= 0) {
            // drain what was sent before the close
        }
        return true;
    }

    @Test
    void answersManyRequestsOnOneConnectionAndDelaysAGuesser() throws Exception {
        InetSocketAddress a = start("scoring: {weights: {auth-failure: 0.0}}\nbans: {threshold: 0.0}\n");
        try (Socket s = new Socket(a.getAddress(), a.getPort())) {
            OutputStream out = s.getOutputStream();
            for (int i = 0; i < 50; i++) {
                out.write(post("allow", attempt("bob", "h" + i, "203.0.113.5"), "").getBytes(StandardCharsets.UTF_8));
                out.flush();
                String[] r = read(s.getInputStream());
                assertEquals("HTTP/1.1 200 OK", r[0]);
                int expected = i < 3 ? 0 : Math.min(15, 1 << (i - 3));
                assertEquals("{\"status\":" + expected + ",\"msg\":\"\"}", r[1], "request " + i);
                out.write(post("report", report("bob", "h" + i, "203.0.113.5", false), "")
                        .getBytes(StandardCharsets.UTF_8));
                out.flush();
                assertEquals("{\"status\":0,\"msg\":\"\"}", read(s.getInputStream())[1]);
                if (i == 9) {
                    break;
                }
            }
            out.write(post("allow", attempt("bob", "x", "203.0.113.5"), "").getBytes(StandardCharsets.UTF_8));
            String[] r = read(s.getInputStream());
            assertTrue(r[1].startsWith("{\"status\":-1,\"msg\":\"10 distinct failed logins"), r[1]);
        }
        assertEquals(3.0, registry.get("postwarden.auth.policy.requests").tag("outcome", "allow")
                .tag("command", "allow").counter().count(), 0.0);
        assertEquals(1.0, registry.get("postwarden.auth.policy.requests").tag("outcome", "reject").counter().count(),
                0.0);
    }

    @Test
    void theApiHeaderIsRequiredWhenConfigured(@TempDir Path dir) throws Exception {
        Path secret = dir.resolve("secret");
        Files.writeString(secret, "s3cret\n");
        InetSocketAddress a = start("", "  api-header: X-API-Key\n  api-secret-file: " + secret + "\n", null);
        for (String headers : new String[] {"", "X-API-Key: wrong\r\n", "X-API-Key: s3cre\r\n"}) {
            try (Socket s = new Socket(a.getAddress(), a.getPort())) {
                s.getOutputStream().write(post("allow", attempt("u", "1", "203.0.113.5"), headers)
                        .getBytes(StandardCharsets.UTF_8));
                assertEquals("HTTP/1.1 401 Unauthorized", read(s.getInputStream())[0], headers);
                assertTrue(closed(s));
            }
        }
        try (Socket s = new Socket(a.getAddress(), a.getPort())) {
            s.getOutputStream().write(post("allow", attempt("u", "1", "203.0.113.5"), "X-API-Key:  s3cret\r\n")
                    .getBytes(StandardCharsets.UTF_8));
            assertEquals("HTTP/1.1 200 OK", read(s.getInputStream())[0]);
        }
        assertEquals(3.0, registry.get("postwarden.protocol.errors").tag("reason", "unauthorized").counter().count(),
                0.0);
    }

    @Test
    void aSecretFileThatCannotBeReadFailsTheStartNamingTheKey(@TempDir Path dir) {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> start("",
                "  api-header: X-API-Key\n  api-secret-file: " + dir.resolve("none") + "\n", null));
        assertTrue(e.getMessage().startsWith("auth-policy.api-secret-file " + dir.resolve("none")), e.getMessage());
    }

    @Test
    void hostileRequestsCloseTheirOwnConnectionOnly() throws Exception {
        InetSocketAddress a = start("");
        try (Socket good = new Socket(a.getAddress(), a.getPort())) {
            String big = "{\"login\":\"" + "x".repeat(3000) + "\"}";
            String[][] cases = {
                    {post("allow", big, ""), "HTTP/1.1 413 Request Entity Too Large"},
                    {post("allow", "{\"login\":", ""), "HTTP/1.1 400 Bad Request"},
                    {post("allow", "[1,2]", ""), "HTTP/1.1 400 Bad Request"},
                    {post("allow", "{\"a\":[1]}", ""), "HTTP/1.1 400 Bad Request"},
                    {post("allow", "{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":1}}}}}", ""), "HTTP/1.1 400 Bad Request"},
                    {post("allow", "{\"a\":1,\"a\":2}", ""), "HTTP/1.1 400 Bad Request"},
                    {post("allow", "{} trailing", ""), "HTTP/1.1 400 Bad Request"},
                    {post("delete", "{}", ""), "HTTP/1.1 400 Bad Request"},
                    {"GET /?command=allow HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 405 Method Not Allowed"},
                    {"POST /?command=allow HTTP/1.1\r\nX: " + "y".repeat(9000) + "\r\n\r\n", "HTTP/1.1 400 Bad Request"},
                    {"\u0000\u0001garbage\r\n\r\n", "HTTP/1.1 400 Bad Request"},
            };
            for (String[] c : cases) {
                try (Socket s = new Socket(a.getAddress(), a.getPort())) {
                    s.getOutputStream().write(c[0].getBytes(StandardCharsets.UTF_8));
                    String[] r = read(s.getInputStream());
                    assertEquals(c[1], r == null ? "closed without an answer" : r[0], c[0].substring(0,
                            Math.min(60, c[0].length())));
                    assertTrue(closed(s));
                }
            }
            // the well-behaved connection, opened before all that, still works
            good.getOutputStream().write(post("allow", attempt("u", "1", "203.0.113.5"), "")
                    .getBytes(StandardCharsets.UTF_8));
            assertEquals("HTTP/1.1 200 OK", read(good.getInputStream())[0]);
        }
    }

    @Test
    void aSlowRequestIsClosedAtItsDeadline() throws Exception {
        InetSocketAddress a = start("");
        try (Socket s = new Socket(a.getAddress(), a.getPort())) {
            // headers begun and never finished: a slowloris that is never idle long enough to be closed as idle
            s.getOutputStream().write("POST /?command=allow HTTP/1.1\r\nHost: 127".getBytes(StandardCharsets.UTF_8));
            String[] r = read(s.getInputStream());
            assertEquals("HTTP/1.1 408 Request Timeout", r[0]);
            assertTrue(closed(s));
        }
        assertEquals(1.0, registry.get("postwarden.protocol.errors").tag("reason", "slow-request").counter().count(),
                0.0);
    }

    @Test
    void unfinishedRequestsOverTheBudgetAreAnswered503() throws Exception {
        InetSocketAddress a = start("", "  max-buffered-bytes: 2048\n", null);
        String half = "POST /?command=allow HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: " + "p".repeat(1400);
        try (Socket one = new Socket(a.getAddress(), a.getPort()); Socket two = new Socket(a.getAddress(), a.getPort())) {
            one.getOutputStream().write(half.getBytes(StandardCharsets.US_ASCII));
            for (int i = 0; i < 500 && listener.inputBudget().held() < half.length(); i++) {
                Thread.sleep(10); // waits for the server to hold it; no logic depends on the time
            }
            assertEquals(half.length(), listener.inputBudget().held());
            two.getOutputStream().write(half.getBytes(StandardCharsets.US_ASCII));
            assertEquals("HTTP/1.1 503 Service Unavailable", read(two.getInputStream())[0],
                    "the request that would pass the budget of all connections");
            assertTrue(closed(two));
            assertEquals(half.length(), listener.inputBudget().held(), "the first one is still held, within budget");
        }
        assertEquals(1.0, registry.get("postwarden.protocol.errors").tag("reason", "input-budget").counter().count(),
                0.0);
    }

    @Test
    void anEngineFailureIsAnsweredStatusZeroNeverARefusal() throws Exception {
        InetSocketAddress a = start("", "", e -> new ForwardingEngine() {
            @Override
            protected Engine delegate() {
                return e;
            }

            @Override
            public AuthVerdict authPolicy(AuthAttempt attempt) {
                throw new IllegalStateException("store on fire");
            }
        });
        try (Socket s = new Socket(a.getAddress(), a.getPort())) {
            s.getOutputStream().write(post("allow", attempt("u", "1", "203.0.113.5"), "")
                    .getBytes(StandardCharsets.UTF_8));
            assertEquals("{\"status\":0,\"msg\":\"\"}", read(s.getInputStream())[1]);
        }
        assertEquals(1.0, registry.get("postwarden.fallbacks").tag("listener", "auth-policy").tag("reason", "error")
                .counter().count(), 0.0);
    }
}
