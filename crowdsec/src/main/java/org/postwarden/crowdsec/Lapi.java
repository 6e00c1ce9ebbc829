package org.postwarden.crowdsec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * The few LAPI calls Postwarden makes, asynchronously ({@code HttpClient.sendAsync}): the bouncer's decision
 * stream, the machine's login and its alerts. A status other than 200/201 fails the future with
 * {@link LapiException}. The LAPI is the site's own (loopback): its answers are read whole.
 */
final class Lapi {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** NAME/VERSION: the LAPI refuses a machine's login with a User-Agent it cannot read a version from. */
    static final String USER_AGENT = "postwarden/" + java.util.Objects.requireNonNullElse(
            Lapi.class.getPackage().getImplementationVersion(), "0.1.0");
    private final HttpClient http;
    private final URI base;
    private final Duration timeout;

    /** A LAPI answer Postwarden cannot use (status, body). */
    static final class LapiException extends IOException {
        private final int status;

        LapiException(int status, String message) {
            super(message);
            this.status = status;
        }

        int status() {
            return status;
        }
    }

    Lapi(HttpClient http, String baseUrl, Duration timeout) {
        this.http = http;
        this.base = URI.create(baseUrl.endsWith("/") ? baseUrl : baseUrl + "/");
        this.timeout = timeout;
    }

    /** {@code GET /v1/decisions/stream}. */
    CompletableFuture<JsonNode> stream(String apiKey, boolean startup) {
        HttpRequest r = request("v1/decisions/stream?startup=" + startup).header("X-Api-Key", apiKey).GET().build();
        return send(r);
    }

    /** {@code POST /v1/watchers/login}; completes with the token. */
    CompletableFuture<String> login(String machineId, String password) {
        var body = JSON.createObjectNode().put("machine_id", machineId).put("password", password);
        body.putArray("scenarios");
        HttpRequest r = request("v1/watchers/login").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build();
        return send(r).thenApply(n -> {
            String token = n.path("token").asText("");
            if (token.isEmpty()) {
                throw new CompletionException(new LapiException(200, "login answer without a token"));
            }
            return token;
        });
    }

    /** {@code POST /v1/alerts} with {@code alerts} (a JSON array). */
    CompletableFuture<JsonNode> alerts(String token, JsonNode alerts) {
        HttpRequest r = request("v1/alerts").header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + token)
                .POST(HttpRequest.BodyPublishers.ofString(alerts.toString())).build();
        return send(r);
    }

    private HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(base.resolve(path)).timeout(timeout).header("User-Agent", USER_AGENT);
    }

    private CompletableFuture<JsonNode> send(HttpRequest r) {
        return http.sendAsync(r, HttpResponse.BodyHandlers.ofByteArray()).thenApply(resp -> {
            byte[] b = resp.body();
            try {
                if (resp.statusCode() != 200 && resp.statusCode() != 201) {
                    String text = new String(b, 0, Math.min(b.length, 200), StandardCharsets.UTF_8);
                    throw new LapiException(resp.statusCode(), "HTTP " + resp.statusCode() + " from "
                            + r.uri().getPath() + ": " + text.replaceAll("[\\p{Cntrl}]", " "));
                }
                return b.length == 0 ? JSON.nullNode() : JSON.readTree(b);
            } catch (IOException e) {
                throw new CompletionException(e);
            }
        });
    }
}
