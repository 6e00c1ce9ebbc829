package org.postwarden.authpolicy.codec;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Dovecot's request JSON, read with hard limits: one object whose values are strings, booleans, numbers or null,
 * nested objects flattened to {@code outer/inner} keys (Dovecot's template writes {@code a/b=...} as nested
 * objects). Arrays, duplicate keys, more than {@value #MAX_FIELDS} fields, nesting deeper than {@value #MAX_DEPTH},
 * strings longer than {@value #MAX_STRING} characters and trailing content are refused. Thread-safe (the factory is
 * shared, each call has its own parser).
 */
public final class AuthJson {
    public static final int MAX_FIELDS = 64;
    public static final int MAX_DEPTH = 4;
    public static final int MAX_STRING = 2048;
    private static final JsonFactory FACTORY = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_DEPTH)
                    .maxStringLength(MAX_STRING).maxNumberLength(32).maxNameLength(128).build())
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    private AuthJson() {
    }

    /** A body that is not what Dovecot sends. */
    public static final class BadJson extends Exception {
        private static final long serialVersionUID = 1L;

        BadJson(String message) {
            super(message);
        }
    }

    /** The flattened fields of {@code body} (UTF-8), values as text ({@code true}/{@code false} for booleans). */
    public static Map<String, String> parse(byte[] body) throws BadJson {
        Map<String, String> out = new LinkedHashMap<>();
        try (JsonParser p = FACTORY.createParser(body)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new BadJson("expected a JSON object");
            }
            object(p, "", out);
            if (p.nextToken() != null) {
                throw new BadJson("content after the JSON object");
            }
        } catch (StreamConstraintsException e) {
            throw new BadJson("over a limit: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new BadJson("malformed JSON: " + firstLine(e.getMessage()));
        }
        return out;
    }

    private static void object(JsonParser p, String prefix, Map<String, String> out) throws IOException, BadJson {
        JsonToken t;
        while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
            String key = prefix + p.currentName();
            JsonToken v = p.nextToken();
            switch (v) {
                case START_OBJECT -> object(p, key + "/", out);
                case START_ARRAY -> throw new BadJson("unexpected array at " + key);
                case VALUE_NULL -> {
                }
                case VALUE_TRUE, VALUE_FALSE, VALUE_STRING, VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> {
                    if (out.size() >= MAX_FIELDS) {
                        throw new BadJson("more than " + MAX_FIELDS + " fields");
                    }
                    out.put(key, p.getText());
                }
                default -> throw new BadJson("unexpected " + v + " at " + key);
            }
        }
        if (t != JsonToken.END_OBJECT) {
            throw new BadJson("unexpected " + t);
        }
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
