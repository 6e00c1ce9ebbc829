package org.postwarden.config;

import org.junit.jupiter.api.Test;
import org.postwarden.config.load.ConfigLoader;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConfigLoaderTest {

    @Test
    void embeddedDefaultIsExactlyTheShippedFile() throws Exception {
        Path shipped = Path.of("..", "..", "config", "postwarden.yaml");
        assertEquals(Files.readString(shipped), ConfigLoader.defaultText());
        PostwardenConfig c = ConfigLoader.loadDefault();
        assertEquals("127.0.0.1:10033", c.policy().listen());
        assertEquals("127.0.0.1:10035", c.http().listen());
        assertEquals("DUNNO", c.policy().fallbackAction());
        assertFalse(c.dryRun());
        assertTrue(c.allowlist().trustOk().isEmpty(), "nothing is trusted with OK by default");
    }

    @Test
    void userFileOverridesOnlyWhatItSets() throws Exception {
        PostwardenConfig c = ConfigLoader.load("t", """
                policy:
                  listen: 127.0.0.1:20033
                limits:
                  host:
                    recipients: [{window: 10m, max: 3}]
                """);
        assertEquals("127.0.0.1:20033", c.policy().listen());
        assertEquals(4096, c.policy().maxLineLength(), "unset keys keep the default");
        assertEquals(1, c.limits().host().recipients().size(), "a list replaces the default list whole");
        assertEquals(Duration.ofMinutes(10), c.limits().host().recipients().get(0).window());
        assertEquals(2, c.limits().host().connections().size());
    }

    @Test
    void storeOnCorruptIsWaitForAdminByDefaultAndTakesOnlyItsTwoValues() throws Exception {
        assertEquals("wait-for-admin", ConfigLoader.loadDefault().store().onCorrupt());
        assertEquals("start-anyway", ConfigLoader.load("t", "store: {on-corrupt: start-anyway}\n").store().onCorrupt());
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load("t",
                "store: {on-corrupt: ignore}\n"));
        assertEquals(1, e.errors().size(), e.getMessage());
        String err = e.errors().get(0);
        assertTrue(err.startsWith("store.on-corrupt") && err.contains("ignore")
                && err.contains("wait-for-admin or start-anyway"), err);
    }

    @Test
    void unknownKeysAreErrorsWithTheirPathAndLine() {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load("t", """
                policy:
                  listen: 127.0.0.1:1
                  time-budgt: 5s
                """));
        assertEquals(1, e.errors().size(), e.getMessage());
        String err = e.errors().get(0);
        assertTrue(err.startsWith("policy.time-budgt"), err);
        assertTrue(err.contains("(line 3)"), err);
        assertTrue(err.contains("unknown key"), err);
    }

    @Test
    void badValuesAreAllReportedWithKeyValueAndExpectation() {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load("t", """
                policy:
                  listen: "localhost"
                  max-line-length: 10
                  fallback-action: OK
                scoring:
                  thresholds: {defer: 10, reject: 5}
                networks:
                  trusted: [10.0.0.0/33]
                helo:
                  generic-patterns: ["(unclosed"]
                """));
        String all = String.join("\n", e.errors());
        assertEquals(6, e.errors().size(), all);
        assertTrue(all.contains("policy.listen = \"localhost\" (line 2): expected host:port"), all);
        assertTrue(all.contains("policy.max-line-length = \"10\" (line 3): a whole number from 256"), all);
        assertTrue(all.contains("policy.fallback-action = \"OK\" (line 4): DUNNO, DEFER [text] or a 4xx reply"), all);
        assertTrue(all.contains("scoring.thresholds.reject = \"5.0\""), all);
        assertTrue(all.contains("networks.trusted[0] = \"10.0.0.0/33\""), all);
        assertTrue(all.contains("helo.generic-patterns[0]"), all);
    }

    @Test
    void wrongTypesNameTheKeyAndTheExpectedType() {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load("t", """
                store:
                  idle-expiry: 3 days
                """));
        assertTrue(e.errors().get(0).startsWith("store.idle-expiry"), e.getMessage());
        assertTrue(e.errors().get(0).contains("duration"), e.getMessage());

        ConfigException e2 = assertThrows(ConfigException.class, () -> ConfigLoader.load("t", """
                dry-run: maybe
                """));
        assertTrue(e2.errors().get(0).startsWith("dry-run"), e2.getMessage());
        assertTrue(e2.errors().get(0).contains("true or false"), e2.getMessage());
    }

    @Test
    void yamlSyntaxErrorsGiveTheLine() {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load("t", """
                policy:
                  listen: [127.0.0.1
                """));
        assertTrue(e.errors().get(0).startsWith("not valid YAML (line"), e.getMessage());
    }

    @Test
    void idleExpiryMustCoverTheLongestWindow() {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load("t", """
                store:
                  idle-expiry: 1h
                """));
        assertTrue(e.errors().get(0).contains("at least the longest limit window (1d)"), e.getMessage());
    }

    @Test
    void durationsParseAndFormat() {
        assertEquals(Duration.ofMillis(250), Durations.parse("250ms"));
        assertEquals(Duration.ofDays(14), Durations.parse("2w"));
        assertEquals("90s", Durations.format(Duration.ofSeconds(90)));
        assertEquals("1d", Durations.format(Duration.ofHours(24)));
        assertThrows(IllegalArgumentException.class, () -> Durations.parse("5"));
        assertThrows(IllegalArgumentException.class, () -> Durations.parse("m5"));
        assertThrows(IllegalArgumentException.class, () -> Durations.parse("99999999999999m"));
    }

    @Test
    void hostPortParsing() {
        assertEquals(new HostPort("::1", 10033), HostPort.parse("[::1]:10033"));
        assertTrue(HostPort.parse("127.0.0.1:1").loopback());
        assertThrows(IllegalArgumentException.class, () -> HostPort.parse("::1:10033"));
        assertThrows(IllegalArgumentException.class, () -> HostPort.parse("127.0.0.1:70000"));
        assertThrows(IllegalArgumentException.class, () -> HostPort.parse("mail.example.org:25"));
    }
}
