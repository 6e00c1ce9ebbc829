package org.postwarden.app;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;

import java.io.CharConversionException;
import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * Reading admin requests with hard limits: the query string, the JSON body (at most {@link AdminApi.MAX_BODY}
 * bytes), required fields and bounded numbers, each refused with a 4xx that names the value and what was expected.
 * Stateless.
 */
final class AdminRequests {
    private AdminRequests() {
    }

    static void only(String method, String allowed) throws AdminRefusal {
        if (!allowed.equals(method)) {
            throw notAllowed(allowed);
        }
    }

    static AdminRefusal notAllowed(String allowed) {
        return new AdminRefusal(405, "method not allowed (allowed: " + allowed + ")");
    }

    static String required(Map<String, String> q, String name) throws AdminRefusal {
        String v = q.get(name);
        if (v == null || v.isBlank()) {
            throw new AdminRefusal(400, "missing query parameter " + name);
        }
        return v.trim();
    }

    static int intParam(Map<String, String> q, String name, int dflt, int min, int max) throws AdminRefusal {
        String v = q.get(name);
        if (v == null) {
            return dflt;
        }
        try {
            int n = Integer.parseInt(v.trim());
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // fall through
        }
        throw new AdminRefusal(400, name + " = \"" + v + "\": expected a whole number from " + min + " to " + max);
    }

    static Map<String, String> query(String raw) throws AdminRefusal {
        Map<String, String> out = new HashMap<>();
        if (raw == null || raw.isEmpty()) {
            return out;
        }
        String[] parts = raw.split("&", 33);
        if (parts.length > 32) {
            throw new AdminRefusal(400, "too many query parameters");
        }
        for (String p : parts) {
            int eq = p.indexOf('=');
            try {
                String k = URLDecoder.decode(eq < 0 ? p : p.substring(0, eq), StandardCharsets.UTF_8);
                String v = eq < 0 ? "" : URLDecoder.decode(p.substring(eq + 1), StandardCharsets.UTF_8);
                out.putIfAbsent(k, v);
            } catch (IllegalArgumentException e) {
                throw new AdminRefusal(400, "malformed query string");
            }
        }
        return out;
    }

    static JsonNode body(HttpCall ex) throws AdminRefusal {
        byte[] b = ex.body();
        if (b.length > AdminApi.MAX_BODY) {
            throw new AdminRefusal(413, "request body larger than " + AdminApi.MAX_BODY + " bytes");
        }
        return json(b);
    }

    /**
     * The JSON object in a request body, or a 400. Jackson guesses the encoding from the first bytes (UTF-8, -16 or
     * -32); bytes that look like UTF-32 but end mid-character fail with a {@link CharConversionException}, an
     * {@link IOException} that is not a {@link JsonProcessingException}: refused as well (found by fuzzing).
     */
    static JsonNode json(byte[] b) throws AdminRefusal {
        try {
            JsonNode n = AdminApi.JSON.readTree(b);
            if (n == null || !n.isObject()) {
                throw new AdminRefusal(400, "expected a JSON object body, e.g. {\"cidr\": \"192.0.2.1\"}");
            }
            return n;
        } catch (JsonProcessingException e) {
            throw new AdminRefusal(400, "body is not valid JSON: " + e.getOriginalMessage());
        } catch (CharConversionException e) {
            throw new AdminRefusal(400, "body is not valid JSON: " + e.getMessage());
        } catch (IOException e) {
            throw new IllegalStateException("reading a byte array failed", e);
        }
    }

    static String text(JsonNode body, String field, boolean required) throws AdminRefusal {
        JsonNode n = body.get(field);
        if (n == null || n.isNull()) {
            if (required) {
                throw new AdminRefusal(400, "missing field " + field);
            }
            return null;
        }
        if (!n.isTextual()) {
            throw new AdminRefusal(400, field + ": expected a string");
        }
        return n.asText();
    }

    /** Printable, single-line, at most 200 characters: for ban details and log lines. */
    static String clean(String s) {
        StringBuilder sb = new StringBuilder(Math.min(s.length(), 200));
        for (int i = 0; i < s.length() && sb.length() < 200; i++) {
            char c = s.charAt(i);
            sb.append(c < 0x20 || c == 0x7f ? '?' : c);
        }
        return sb.toString();
    }
}
