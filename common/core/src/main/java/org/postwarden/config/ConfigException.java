package org.postwarden.config;

import java.util.List;

/** A configuration that cannot be used; {@link #errors()} lists every problem found, one line each. */
public final class ConfigException extends Exception {
    private static final long serialVersionUID = 1L;
    private final transient List<String> errors;

    public ConfigException(String source, List<String> errors) {
        super("invalid configuration " + source + ":\n  " + String.join("\n  ", errors));
        this.errors = List.copyOf(errors);
    }

    public List<String> errors() {
        return errors;
    }
}
