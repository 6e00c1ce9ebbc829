package org.postwarden.config;

import org.postwarden.config.load.ConfigLoader;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Loads a user file that must fail and compares its errors with the expected ones, text and order. */
final class ExactErrors {
    private ExactErrors() {
    }

    static void assertExactly(String yaml, String... expected) {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load("test.yaml", yaml));
        assertEquals(List.of(expected), e.errors(), () -> "got:\n" + String.join("\n", e.errors()));
    }
}
