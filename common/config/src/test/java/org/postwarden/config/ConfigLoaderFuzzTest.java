package org.postwarden.config;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.postwarden.config.load.ConfigLoader;
import org.postwarden.rules.Rules;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * Fuzzes the config loader with Jazzer (regression mode over {@code ConfigLoaderFuzzTestInputs/<method>/} in
 * {@code ./mvnw verify}; {@code JAZZER_FUZZ=1} fuzzes, see docs/fuzzing.md): any text laid over the embedded default
 * loads into a configuration the rules compile from, or is refused with a {@link ConfigException} whose every
 * problem is one line; nothing else is thrown (no parser exception, no failure at compile time of a config that
 * passed validation).
 */
class ConfigLoaderFuzzTest {
    @FuzzTest(maxDuration = "5m")
    void anyTextLoadsAndCompilesOrIsRefusedWithProblems(byte[] input) {
        String text = new String(input, StandardCharsets.UTF_8);
        PostwardenConfig c;
        try {
            c = ConfigLoader.load("fuzz", text);
        } catch (ConfigException refused) {
            assertFalse(refused.errors().isEmpty(), "refused without a problem");
            for (String p : refused.errors()) {
                assertNotNull(p);
            }
            return;
        }
        assertNotNull(new Rules(c));
    }
}
