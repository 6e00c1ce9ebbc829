package org.postwarden.config.load;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.deser.DeserializationProblemHandler;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import org.postwarden.config.ConfigException;
import org.postwarden.config.Durations;
import org.postwarden.config.PostwardenConfig;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Loads a configuration: the embedded default with an optional user file laid over it, bound to
 * {@link PostwardenConfig} and validated by {@link ConfigValidator}. Every problem is reported with the key path,
 * the value, the expectation and, where known, the line in the user's file.
 */
public final class ConfigLoader {
    /** Class-path location of the embedded default (a copy of {@code config/postwarden.yaml}). */
    public static final String DEFAULT_RESOURCE = "/org/postwarden/config/postwarden.yaml";
    private static final int MAX_CONFIG_BYTES = 4 * 1024 * 1024;

    private ConfigLoader() {
    }

    /** The embedded default configuration text. */
    public static String defaultText() {
        try (InputStream in = ConfigLoader.class.getResourceAsStream(DEFAULT_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("embedded default config missing: " + DEFAULT_RESOURCE);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read embedded default config", e);
        }
    }

    /** Loads the embedded default. */
    public static PostwardenConfig loadDefault() throws ConfigException {
        return load("(embedded default)", null);
    }

    /** Loads {@code file} laid over the embedded default. */
    public static PostwardenConfig load(Path file) throws ConfigException {
        String text;
        try {
            if (Files.size(file) > MAX_CONFIG_BYTES) {
                throw new ConfigException(file.toString(), List.of("file larger than " + MAX_CONFIG_BYTES + " bytes"));
            }
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ConfigException(file.toString(), List.of("cannot read: "
                    + org.postwarden.runtime.StartupFailure.reason(e)));
        }
        return load(file.toString(), text);
    }

    /** Loads {@code userText} (may be null for none) laid over the embedded default; {@code source} names it. */
    public static PostwardenConfig load(String source, String userText) throws ConfigException {
        ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
        yaml.enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
        JsonNode merged;
        Map<String, Integer> lines = new HashMap<>();
        try {
            merged = yaml.readTree(defaultText());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("embedded default config is not valid YAML", e);
        }
        if (userText != null && !userText.isBlank()) {
            JsonNode user;
            try {
                user = yaml.readTree(userText);
                indexLines(yaml, userText, lines);
            } catch (JsonProcessingException e) {
                JsonLocation loc = e.getLocation();
                String where = loc == null ? "" : " (line " + loc.getLineNr() + ", column " + loc.getColumnNr() + ")";
                throw new ConfigException(source, List.of("not valid YAML" + where + ": " + e.getOriginalMessage()));
            } catch (IOException e) {
                throw new ConfigException(source, List.of("cannot read YAML: " + e.getMessage()));
            }
            if (user != null && !user.isMissingNode() && !user.isNull()) {
                if (!user.isObject()) {
                    throw new ConfigException(source, List.of("top level: expected a mapping of sections"));
                }
                merge((ObjectNode) merged, (ObjectNode) user);
            }
        }
        List<String> errors = new ArrayList<>();
        PostwardenConfig config = bind(merged, lines, errors);
        if (config != null) {
            ConfigValidator.validate(config, errors, lines);
        }
        if (!errors.isEmpty()) {
            throw new ConfigException(source, errors);
        }
        return config;
    }

    private static PostwardenConfig bind(JsonNode tree, Map<String, Integer> lines, List<String> errors) {
        SimpleModule module = new SimpleModule("postwarden-config");
        module.addDeserializer(Duration.class, new DurationDeserializer());
        ObjectMapper mapper = JsonMapper.builder()
                .propertyNamingStrategy(PropertyNamingStrategies.KEBAB_CASE)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
                .addModule(module)
                .addHandler(new DeserializationProblemHandler() {
                    @Override
                    public boolean handleUnknownProperty(DeserializationContext ctxt, JsonParser p,
                            JsonDeserializer<?> deserializer, Object beanOrClass, String propertyName)
                            throws IOException {
                        String path = ConfigPaths.fromPointer(p.getParsingContext().pathAsPointer().toString());
                        errors.add(ConfigPaths.describe(path, null, "unknown key (see config/postwarden.yaml for the keys)",
                                lines));
                        p.skipChildren();
                        return true;
                    }
                })
                .build();
        try {
            return mapper.treeToValue(tree, PostwardenConfig.class);
        } catch (JsonMappingException e) {
            String path = ConfigPaths.fromReferences(e.getPath());
            String msg = e.getOriginalMessage();
            int nl = msg.indexOf('\n');
            errors.add(ConfigPaths.describe(path, valueAt(tree, path), "expected " + simplify(msg.substring(0,
                    nl < 0 ? msg.length() : nl)), lines));
            return null;
        } catch (JsonProcessingException e) {
            errors.add("cannot bind configuration: " + e.getOriginalMessage());
            return null;
        }
    }

    private static String simplify(String jacksonMessage) {
        String m = jacksonMessage;
        int open = m.indexOf('`');
        int close = open < 0 ? -1 : m.indexOf('`', open + 1);
        if (close > open && (m.startsWith("Cannot deserialize") || m.startsWith("Cannot coerce"))) {
            String type = m.substring(open + 1, close);
            return switch (type) {
                case "boolean" -> "true or false";
                case "int", "long" -> "a whole number";
                case "double" -> "a number";
                case "java.lang.String" -> "a string";
                default -> type.contains("List") ? "a list" : "a " + type.substring(type.lastIndexOf('.') + 1)
                        .replace('$', '.');
            };
        }
        return m;
    }

    private static String valueAt(JsonNode tree, String path) {
        JsonNode n = tree.at(ConfigPaths.toPointer(path));
        if (n.isMissingNode()) {
            return null;
        }
        return n.isValueNode() ? n.asText() : n.toString();
    }

    /** Deep merge: objects merge key by key; anything else in {@code over} replaces what is in {@code base}. */
    static void merge(ObjectNode base, ObjectNode over) {
        for (Map.Entry<String, JsonNode> e : over.properties()) {
            JsonNode existing = base.get(e.getKey());
            if (existing instanceof ObjectNode eo && e.getValue() instanceof ObjectNode vo) {
                merge(eo, vo);
            } else {
                base.set(e.getKey(), e.getValue());
            }
        }
    }

    /** Records, for each JSON pointer in the user's file, the line it starts on. */
    private static void indexLines(ObjectMapper yaml, String text, Map<String, Integer> lines) throws IOException {
        try (JsonParser p = yaml.getFactory().createParser(text)) {
            JsonToken t;
            while ((t = p.nextToken()) != null) {
                if (t == JsonToken.FIELD_NAME || t.isScalarValue() || t == JsonToken.START_OBJECT
                        || t == JsonToken.START_ARRAY) {
                    String ptr = p.getParsingContext().pathAsPointer().toString();
                    lines.putIfAbsent(ptr, p.currentTokenLocation().getLineNr());
                }
            }
        }
    }

    /** Durations as {@code 30s}, {@code 5m}, ... */
    private static final class DurationDeserializer extends JsonDeserializer<Duration> {
        @Override
        public Duration deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            String text = p.getValueAsString();
            if (text == null || !p.currentToken().isScalarValue()) {
                return (Duration) ctxt.handleUnexpectedToken(Duration.class, p);
            }
            try {
                return Durations.parse(text);
            } catch (IllegalArgumentException e) {
                throw JsonMappingException.from(p, Durations.EXPECTED);
            }
        }
    }
}
