package org.postwarden.milter;

import org.junit.jupiter.api.Test;
import org.nightcode.milter.util.Log;
import org.postwarden.config.ConfigException;
import org.postwarden.config.PostwardenConfig;
import org.postwarden.config.load.ConfigLoader;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The {@code milter:} section: documented defaults, and every bad value reported with key, value and line. */
class MilterConfigTest {
    @Test
    void defaultsAreTheDocumentedOnes() throws Exception {
        PostwardenConfig.Milter m = ConfigLoader.loadDefault().milter();
        assertTrue(m.enabled());
        assertEquals("127.0.0.1:10034", m.listen());
        assertEquals(262_144, m.maxPacketBytes());
        assertEquals(Duration.ofMillis(200), m.timeBudget());
        assertEquals("continue", m.fallbackAction());
        assertEquals("as-decided", m.connectRefusal());
        assertEquals(20, m.maxConcurrentPerClient());
        assertFalse(m.header().enabled(), "the report header is off by default");
        assertEquals("X-Postwarden-Report", m.header().name());
        assertTrue(m.fingerprint().enabled());
        assertEquals(4096, m.fingerprint().bodyPrefixBytes());
        assertEquals(List.of(), m.identicalMessages());
    }

    @Test
    void badValuesAreAllReported() {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load("t", """
                milter:
                  listen: localhost:10034
                  max-packet-bytes: 100
                  fallback-action: reject
                  connect-refusal: drop
                  max-concurrent-per-client: -1
                  header: {name: "X Bad"}
                  fingerprint: {body-prefix-bytes: 1}
                  identical-messages: [{window: 30d, max: 5}]
                """));
        List<String> errors = e.errors();
        String all = String.join("\n", errors);
        for (String key : List.of("milter.listen", "milter.max-packet-bytes", "milter.fallback-action",
                "milter.connect-refusal", "milter.max-concurrent-per-client", "milter.header.name",
                "milter.fingerprint.body-prefix-bytes", "milter.identical-messages")) {
            assertTrue(errors.stream().anyMatch(l -> l.startsWith(key)), key + " missing in:\n" + all);
        }
        assertTrue(all.contains("milter.fallback-action = \"reject\" (line 4): continue, accept or tempfail; never a"
                + " reject"), all);
    }

    @Test
    void jmilterLogsThroughSlf4j() {
        JmilterLogging.install();
        assertTrue(Log.debug().getClass().getName().startsWith(JmilterLogging.class.getName()),
                Log.debug().getClass().getName());
        Log.debug().log(MilterConfigTest.class, "routed {}", "ok");
    }
}
