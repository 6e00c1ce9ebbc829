package org.postwarden.config;

import org.junit.jupiter.api.Test;
import org.postwarden.config.load.ConfigLoader;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.postwarden.config.ExactErrors.assertExactly;

/** The {@code crowdsec:} section and {@code ingest.journal}: defaults off, and each bad value named. */
class CrowdSecJournalMessagesTest {

    @Test
    void theDefaultsAreOff() throws Exception {
        PostwardenConfig c = ConfigLoader.loadDefault();
        assertFalse(c.crowdsec().bouncer().enabled());
        assertFalse(c.crowdsec().source().enabled());
        assertEquals("http://127.0.0.1:8080", c.crowdsec().lapiUrl());
        assertEquals(List.of("ban"), c.crowdsec().bouncer().types());
        assertEquals(Duration.ofSeconds(10), c.crowdsec().bouncer().pollInterval());
        assertFalse(c.ingest().journal().enabled());
        assertEquals(List.of("journalctl"), c.ingest().journal().command());
        assertEquals(List.of(), c.ingest().journal().uids());
        assertEquals(List.of(), c.limits().domains());
        assertEquals(List.of(), c.limits().users());
    }

    @Test
    void badCrowdSecValuesAreNamed() {
        assertExactly("""
                crowdsec:
                  lapi-url: "127.0.0.1:8080"
                  timeout: 0s
                  bouncer: {enabled: true, api-key-file: "", poll-interval: 100ms, types: [ban, block]}
                  source: {enabled: true, credentials-file: "", scenario-prefix: "a b"}
                """,
                "crowdsec.lapi-url = \"127.0.0.1:8080\" (line 2): an http:// or https:// URL with a host, e.g. "
                        + "http://127.0.0.1:8080",
                "crowdsec.timeout = \"0s\" (line 3): a duration from 100ms to 1m",
                "crowdsec.bouncer.api-key-file = \"\" (line 4): the file holding the bouncer's API key when "
                        + "crowdsec.bouncer.enabled is true",
                "crowdsec.bouncer.poll-interval = \"100ms\" (line 4): a duration from 1s to 1h",
                "crowdsec.bouncer.types[1] = \"block\" (line 4): one of ban, captcha, throttle",
                "crowdsec.source.credentials-file = \"\" (line 5): the machine credentials file when "
                        + "crowdsec.source.enabled is true",
                "crowdsec.source.scenario-prefix = \"a b\" (line 5): letters, digits, '_', '.', '/', '-'");
    }

    @Test
    void badJournalValuesAreNamed() {
        assertExactly("""
                ingest:
                  journal:
                    enabled: true
                    command: []
                    units: ["post fix"]
                    uids: [-1]
                    restart-delay: 0s
                """,
                "ingest.journal.command = \"[]\" (line 4): a command, e.g. [journalctl]",
                "ingest.journal.units[0] = \"post fix\" (line 5): a systemd unit name or glob, e.g. postfix@*.service",
                "ingest.journal.uids[0] = \"-1\" (line 6): a user id from 0 to 4294967294",
                "ingest.journal.restart-delay = \"0s\" (line 7): a duration from 100ms to 1h");
    }
}
