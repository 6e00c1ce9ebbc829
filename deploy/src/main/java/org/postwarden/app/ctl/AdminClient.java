package org.postwarden.app.ctl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.StringJoiner;

/** A small client of the admin API: one request, bounded in time, JSON in and out. */
final class AdminClient {
    static final ObjectMapper JSON = JsonMapper.builder().build();

    /** The daemon could not be reached (exit 3). */
    static final class Unreachable extends Exception {
        private static final long serialVersionUID = 1L;

        Unreachable(String message) {
            super(message);
        }
    }

    /** An answer: HTTP status and JSON body. */
    record Reply(int status, JsonNode body) {
        boolean ok() {
            return status >= 200 && status < 300;
        }

        String error() {
            JsonNode e = body.get("error");
            return e == null ? "HTTP " + status : e.asText();
        }
    }

    private final URI base;
    private final String token;
    private final Duration timeout;
    private final HttpClient http;

    AdminClient(URI base, String token, Duration timeout) {
        this.base = base;
        this.token = token;
        this.timeout = timeout;
        this.http = HttpClient.newBuilder().connectTimeout(timeout).followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    Reply get(String path, Map<String, String> query) throws Unreachable {
        return send("GET", path, query, null);
    }

    Reply send(String method, String path, Map<String, String> query, Object body) throws Unreachable {
        StringJoiner q = new StringJoiner("&");
        query.forEach((k, v) -> q.add(URLEncoder.encode(k, StandardCharsets.UTF_8) + "="
                + URLEncoder.encode(v, StandardCharsets.UTF_8)));
        URI uri = base.resolve("/admin/" + path + (q.length() == 0 ? "" : "?" + q));
        HttpRequest.BodyPublisher publisher;
        try {
            publisher = body == null ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        HttpRequest req = HttpRequest.newBuilder(uri).timeout(timeout)
                .header("Authorization", "Bearer " + token)
                .header("Accept", "application/json")
                .header("Content-Type", "application/json")
                .method(method, publisher).build();
        HttpResponse<byte[]> resp;
        try {
            resp = http.send(req, HttpResponse.BodyHandlers.ofByteArray());
        } catch (HttpTimeoutException e) {
            throw new Unreachable("no answer from " + base + " within " + timeout.toSeconds() + "s");
        } catch (ConnectException e) {
            throw new Unreachable("cannot connect to " + base + " (is postwarden running? is http.enabled true?)");
        } catch (IOException e) {
            throw new Unreachable("cannot talk to " + base + ": " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Unreachable("interrupted");
        }
        JsonNode json;
        try {
            json = JSON.readTree(resp.body());
        } catch (IOException e) {
            json = null;
        }
        if (json == null || json.isMissingNode()) {
            json = JSON.createObjectNode().put("error", "HTTP " + resp.statusCode() + " without a JSON body from "
                    + uri.getPath() + " (is this a postwarden admin API?)");
        }
        return new Reply(resp.statusCode(), json);
    }
}
