package org.postwarden.config.load;

import com.fasterxml.jackson.databind.JsonMappingException;

import java.util.List;
import java.util.Map;

/** Converts between dotted key paths ({@code limits.host.connections[0].max}) and JSON pointers, and words errors. */
final class ConfigPaths {
    private ConfigPaths() {
    }

    static String fromPointer(String pointer) {
        if (pointer.isEmpty() || pointer.equals("/")) {
            return "(top level)";
        }
        StringBuilder sb = new StringBuilder();
        for (String part : pointer.substring(1).split("/")) {
            if (!part.isEmpty() && part.chars().allMatch(Character::isDigit)) {
                sb.append('[').append(part).append(']');
            } else {
                if (!sb.isEmpty()) {
                    sb.append('.');
                }
                sb.append(part.replace("~1", "/").replace("~0", "~"));
            }
        }
        return sb.toString();
    }

    static String fromReferences(List<JsonMappingException.Reference> refs) {
        StringBuilder sb = new StringBuilder();
        for (JsonMappingException.Reference r : refs) {
            if (r.getFieldName() != null) {
                if (!sb.isEmpty()) {
                    sb.append('.');
                }
                sb.append(r.getFieldName());
            } else if (r.getIndex() >= 0) {
                sb.append('[').append(r.getIndex()).append(']');
            }
        }
        return sb.isEmpty() ? "(top level)" : sb.toString();
    }

    static String toPointer(String path) {
        if (path.equals("(top level)")) {
            return "";
        }
        StringBuilder sb = new StringBuilder();
        for (String part : path.replace("[", ".").replace("]", "").split("\\.")) {
            sb.append('/').append(part);
        }
        return sb.toString();
    }

    /** {@code key = "value" (line N): expected ...}. */
    static String describe(String path, String value, String expected, Map<String, Integer> lines) {
        StringBuilder sb = new StringBuilder(path);
        if (value != null) {
            String v = value.length() > 80 ? value.substring(0, 80) + "..." : value;
            sb.append(" = \"").append(v.replace("\n", "\\n")).append('"');
        }
        Integer line = lines.get(toPointer(path));
        if (line != null) {
            sb.append(" (line ").append(line).append(')');
        }
        return sb.append(": ").append(expected).toString();
    }
}
