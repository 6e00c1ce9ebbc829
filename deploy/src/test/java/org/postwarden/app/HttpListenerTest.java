package org.postwarden.app;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postwarden.config.load.ConfigLoader;
import org.postwarden.daemon.Daemon;
import org.postwarden.metrics.PostwardenMetrics;
import org.postwarden.model.ManualTimeSource;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The HTTP listener's limits against slow and many clients (issue 18, finding 3): slow clients no longer hold up
 * {@code /healthz}, an unfinished request is answered 408 and closed, connections from one address are capped.
 * Raw sockets on loopback, a bounded number of them, all closed at the end.
 */
class HttpListenerTest {
    @TempDir
    Path dir;
    Daemon daemon;
    int port;
    final List<Socket> sockets = new ArrayList<>();

    void start(String http) throws Exception {
        Path config = dir.resolve("postwarden.yaml");
        Files.writeString(config, "http: {listen: 127.0.0.1:0" + http + "}\nstore: {snapshot: {path: \"\"}}\n"
                + "outbound: {state-path: \"\"}\nadmin: {token-file: " + dir.resolve("admin.token") + "}\n");
        PostwardenMetrics metrics = new PostwardenMetrics(new io.micrometer.core.instrument.simple.SimpleMeterRegistry());
        daemon = Daemon.start(ConfigLoader.load(config), new ManualTimeSource(1_800_000_000_000L), metrics,
                List.of(new HttpListenerFactory()));
        port = ((HttpListener) daemon.listeners().get(0)).boundAddress().getPort();
    }

    @AfterEach
    void stop() throws IOException {
        for (Socket s : sockets) {
            s.close();
        }
        if (daemon != null) {
            daemon.close();
        }
    }

    Socket open() throws IOException {
        Socket s = new Socket("127.0.0.1", port);
        s.setSoTimeout(30_000);
        sockets.add(s);
        return s;
    }

    /** Sends a whole GET and reads the answer up to the end of its headers and body (Content-Length). */
    static String get(Socket s, String path) throws IOException {
        OutputStream out = s.getOutputStream();
        out.write(("GET " + path + " HTTP/1.1\r\nHost: localhost\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        return readAnswer(s.getInputStream());
    }

    static String readAnswer(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0) {
            head.append((char) c);
            if (head.toString().endsWith("\r\n\r\n")) {
                break;
            }
        }
        int length = 0;
        for (String line : head.toString().split("\r\n")) {
            if (line.toLowerCase().startsWith("content-length:")) {
                length = Integer.parseInt(line.substring(15).trim());
            }
        }
        return head + new String(in.readNBytes(length), StandardCharsets.UTF_8);
    }

    @Test
    void manySlowClientsDoNotFreezeHealthz() throws Exception {
        start(", request-timeout: 5m");
        // Each starts an admin request whose body never finishes: the JDK server gave each one a worker thread of
        // its four until the client went away, and a fifth request waited.
        for (int i = 0; i < 12; i++) {
            Socket s = open();
            s.getOutputStream().write(("POST /admin/bans HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n"
                    + "Authorization: Bearer 0123456789abcdef0123\r\n\r\n{\"ci").getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
        }
        for (int i = 0; i < 4; i++) {
            Socket slow = open();
            slow.getOutputStream().write("GET /metr".getBytes(StandardCharsets.US_ASCII)); // headers never end
        }
        Socket normal = open();
        String a = get(normal, "/healthz");
        assertTrue(a.startsWith("HTTP/1.1 200"), a);
        assertTrue(a.endsWith("ok\n"), a);
        String r = get(normal, "/readyz");
        assertTrue(r.startsWith("HTTP/1.1 200"), "keep-alive: a second request on the same connection: " + r);
        assertTrue(get(open(), "/metrics").startsWith("HTTP/1.1 200"), "metrics answered too");
    }

    @Test
    void anUnfinishedRequestIsAnswered408AndClosed() throws Exception {
        start(", request-timeout: 200ms");
        Socket slow = open();
        slow.getOutputStream().write("GET /healthz HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII));
        slow.getOutputStream().flush();
        String a = readAnswer(slow.getInputStream()); // the daemon's deadline ends it, not this client
        assertTrue(a.startsWith("HTTP/1.1 408"), a);
        assertEquals(-1, slow.getInputStream().read(), "closed after the 408");
        assertTrue(get(open(), "/healthz").startsWith("HTTP/1.1 200"), "others still served");
    }

    @Test
    void connectionsFromOneAddressAreCapped() throws Exception {
        start(", max-connections-per-source: 3");
        List<Socket> three = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Socket s = open();
            assertTrue(get(s, "/healthz").startsWith("HTTP/1.1 200"));
            three.add(s);
        }
        Socket fourth = open();
        fourth.getOutputStream().write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        assertEquals(-1, fourth.getInputStream().read(), "the fourth connection is closed unanswered");
        three.get(0).close();
        String again = null;
        for (int i = 0; i < 200 && again == null; i++) { // the close reaches the daemon asynchronously
            Socket s = open();
            try {
                String a = get(s, "/healthz");
                again = a.isEmpty() ? null : a;
            } catch (IOException e) {
                again = null;
            }
            if (again == null) {
                s.close();
                Thread.sleep(20);
            }
        }
        assertTrue(again != null && again.startsWith("HTTP/1.1 200"), "a slot freed by a close is usable: " + again);
    }
}
