package org.postwarden.crowdsec;

import com.fasterxml.jackson.databind.JsonNode;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.postwarden.config.load.ConfigLoader;
import org.postwarden.engine.DecisionEngine;
import org.postwarden.metrics.PostwardenMetrics;
import org.postwarden.model.Cidr;
import org.postwarden.model.ManualTimeSource;
import org.postwarden.reputation.Ban;
import org.postwarden.reputation.memory.MemoryReputationStore;
import org.postwarden.rules.Rules;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Which bans go to CrowdSec, and the alerts they become. */
class BanPushTest {
    final ManualTimeSource time = new ManualTimeSource(1_800_000_000_000L);
    final DecisionEngine engine;

    BanPushTest() throws Exception {
        Rules rules = new Rules(ConfigLoader.load("t", ""));
        engine = new DecisionEngine(rules, new MemoryReputationStore(rules.storeSettings(), time),
                new PostwardenMetrics(new SimpleMeterRegistry()));
    }

    @Test
    void ownBansArePushedOnceAsAlertsWithTheirRemainingTime() {
        BanPush push = new BanPush("postwarden/");
        engine.ban(Cidr.parse("192.0.2.9/32"), Duration.ofHours(2), "score", "d");
        time.advance(Duration.ofSeconds(1));
        engine.ban(Cidr.parse("198.51.100.0/24"), org.postwarden.api.Engine.PERMANENT, "admin", "d");
        engine.ban(Cidr.parse("203.0.113.1/32"), Duration.ofHours(1), DecisionSync.REASON, "from crowdsec");
        time.advance(Duration.ofMinutes(30));

        List<Ban> due = push.due(engine.bans(), time.millis());
        assertEquals(List.of("192.0.2.9/32", "198.51.100.0/24"), due.stream().map(b -> b.key().cidr()).toList(),
                "oldest first, never CrowdSec's own");
        JsonNode alerts = push.alerts(due, time.millis());
        JsonNode a = alerts.get(0);
        assertEquals("postwarden/score", a.path("scenario").asText());
        assertEquals("Ip", a.path("source").path("scope").asText());
        assertEquals("192.0.2.9", a.path("source").path("ip").asText());
        JsonNode d = a.path("decisions").get(0);
        assertEquals("ban", d.path("type").asText());
        assertEquals("192.0.2.9", d.path("value").asText());
        assertEquals((2 * 3600 - 1801) + "s", d.path("duration").asText(), "the ban's remaining time");
        JsonNode range = alerts.get(1).path("decisions").get(0);
        assertEquals("Range", range.path("scope").asText());
        assertEquals("198.51.100.0/24", range.path("value").asText());
        assertEquals(3650 * 86400 + "s", range.path("duration").asText(), "permanent: ten years");
        assertTrue(a.path("events").isArray());

        push.pushed(due);
        assertEquals(List.of(), push.due(engine.bans(), time.millis()), "pushed once");
        engine.unban(Cidr.parse("192.0.2.9/32"));
        time.advance(Duration.ofSeconds(5));
        push.due(engine.bans(), time.millis());
        engine.ban(Cidr.parse("192.0.2.9/32"), null, "score", "again");
        assertEquals(List.of("192.0.2.9/32"), push.due(engine.bans(), time.millis()).stream()
                .map(b -> b.key().cidr()).toList(), "banned again: pushed again");
    }
}
