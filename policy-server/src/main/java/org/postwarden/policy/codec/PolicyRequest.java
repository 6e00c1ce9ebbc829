package org.postwarden.policy.codec;

import java.util.Map;

/** One decoded policy request: attribute names to values (unknown attributes included, last value wins). */
public record PolicyRequest(Map<String, String> attributes) {

    public PolicyRequest {
        attributes = Map.copyOf(attributes);
    }

    /** The value of {@code name}, or the empty string. */
    public String get(String name) {
        return attributes.getOrDefault(name, "");
    }
}
