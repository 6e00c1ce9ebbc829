package org.postwarden.crowdsec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
import static org.junit.jupiter.api.Assertions.assertNull;

/** The decision stream applied to a real engine on the in-memory store, with a manual clock. */
class DecisionSyncTest {
    static final ObjectMapper JSON = new ObjectMapper();
    final ManualTimeSource time = new ManualTimeSource(1_800_000_000_000L);
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    final DecisionEngine engine;
    final DecisionSync sync;

    DecisionSyncTest() throws Exception {
        Rules rules = new Rules(ConfigLoader.load("t", ""));
        PostwardenMetrics metrics = new PostwardenMetrics(registry);
        engine = new DecisionEngine(rules, new MemoryReputationStore(rules.storeSettings(), time), metrics);
        sync = new DecisionSync(engine, time, List.of("ban"), 3, "postwarden/", metrics);
    }

    static String decision(long id, String scope, String value, String type, String duration) {
        return """
                {"duration":"%s","id":%d,"origin":"cscli","scenario":"manual","scope":"%s","type":"%s","value":"%s"}"""
                .formatted(duration, id, scope, type, value);
    }

    static JsonNode answer(List<String> added, List<String> deleted) throws Exception {
        return JSON.readTree("{\"new\":" + (added == null ? "null" : "[" + String.join(",", added) + "]")
                + ",\"deleted\":" + (deleted == null ? "null" : "[" + String.join(",", deleted) + "]") + "}");
    }

    Ban ban(String cidr) {
        return engine.bans().active().stream().filter(b -> b.key().cidr().equals(cidr)).findFirst().orElse(null);
    }

    double counted(String result) {
        var c = registry.find("postwarden.crowdsec.decisions").tag("result", result).counter();
        return c == null ? 0 : c.count();
    }

    @Test
    void newDecisionsBanUntilTheyExpireAndDeletedOnesLiftTheBan() throws Exception {
        DecisionSync.Result r = sync.apply(answer(List.of(
                decision(1, "Ip", "203.0.113.66", "ban", "59m59.5s"),
                decision(2, "Range", "198.51.100.0/24", "ban", "4h"),
                decision(3, "Ip", "2001:db8::7", "ban", "1h")), null), true);
        assertEquals(new DecisionSync.Result(3, 0, 0), r);
        Ban b = ban("203.0.113.66/32");
        assertEquals("crowdsec", b.reason());
        assertEquals(time.millis() + 3_599_500, b.untilMillis(), "expires as CrowdSec says");
        assertEquals(time.millis() + Duration.ofHours(4).toMillis(), ban("198.51.100.0/24").untilMillis());
        assertEquals("crowdsec", ban("2001:db8::7/128").reason());
        assertEquals(3, sync.decisions());

        time.advance(Duration.ofMinutes(1));
        r = sync.apply(answer(null, List.of(decision(1, "Ip", "203.0.113.66", "ban", "58m"))), false);
        assertEquals(1, r.lifted());
        assertNull(ban("203.0.113.66/32"), "the deleted decision lifts the ban");
        assertEquals(2, sync.decisions());

        time.advance(Duration.ofHours(2));
        assertNull(ban("2001:db8::7/128"), "expired with its decision");
        sync.apply(answer(null, null), false);
        assertEquals(1, sync.decisions(), "the expired decision is forgotten");
    }

    @Test
    void ownBansAndOtherKindsOfDecisionsAreLeftAlone() throws Exception {
        engine.ban(Cidr.parse("192.0.2.9/32"), Duration.ofDays(1), "score", "own");
        DecisionSync.Result r = sync.apply(answer(List.of(
                decision(1, "Ip", "192.0.2.9", "ban", "1h"),
                decision(2, "Ip", "192.0.2.10", "captcha", "1h"),
                decision(3, "Country", "XX", "ban", "1h"),
                decision(4, "Range", "192.0.2.0/26", "ban", "1h"),
                decision(5, "Ip", "192.0.2.11", "ban", "-3s"),
                """
                {"duration":"1h","id":6,"origin":"postwarden","scenario":"postwarden/score","scope":"Ip","type":"ban",\
                "value":"192.0.2.12"}"""), null), false);
        assertEquals(new DecisionSync.Result(0, 0, 5), r);
        assertEquals("score", ban("192.0.2.9/32").reason(), "a longer own ban is not shortened");
        assertEquals(1, counted("kept-own"));
        assertEquals(1, counted("type"));
        assertEquals(1, counted("scope"));
        assertEquals(1, counted("prefix"));
        assertEquals(1, counted("expired"));
        assertEquals(1, counted("own"));

        r = sync.apply(answer(null, List.of(decision(1, "Ip", "192.0.2.9", "ban", "1h"))), false);
        assertEquals(0, r.lifted());
        assertEquals("score", ban("192.0.2.9/32").reason(), "a deleted decision never lifts an own ban");
    }

    @Test
    void startupLiftsCrowdSecBansNoLongerDecidedAndTheLimitHolds() throws Exception {
        sync.apply(answer(List.of(decision(1, "Ip", "203.0.113.1", "ban", "1h"),
                decision(2, "Ip", "203.0.113.2", "ban", "1h")), null), true);
        // a restart: a new sync (empty memory), the LAPI's startup answer no longer holds .1
        DecisionSync fresh = new DecisionSync(engine, time, List.of("ban"), 3, "", new PostwardenMetrics(registry));
        DecisionSync.Result r = fresh.apply(answer(List.of(decision(2, "Ip", "203.0.113.2", "ban", "59m"),
                decision(3, "Ip", "203.0.113.3", "ban", "1h"), decision(4, "Ip", "203.0.113.4", "ban", "1h"),
                decision(5, "Ip", "203.0.113.5", "ban", "1h")), null), true);
        assertNull(ban("203.0.113.1/32"), "deleted while we were away");
        assertEquals(1, r.lifted());
        assertEquals(2, r.banned(), "3 and 4; 2 was banned as long already: held, not banned again");
        assertEquals(1, counted("held"));
        assertEquals(1, r.skipped(), "max-decisions");
        assertNull(ban("203.0.113.5/32"));
        assertEquals(1, counted("over-limit"));
    }

    @Test
    void aSecondDecisionNeverShortensTheBanAndARestartCountsNoNewOffense() throws Exception {
        sync.apply(answer(List.of(decision(1, "Ip", "203.0.113.9", "ban", "4h"),
                decision(2, "Ip", "203.0.113.9", "ban", "1h")), null), true);
        Ban b = ban("203.0.113.9/32");
        assertEquals(time.millis() + Duration.ofHours(4).toMillis(), b.untilMillis(), "the longer decision holds");
        assertEquals(1, b.offense());
        assertEquals(2, sync.decisions());
        sync.apply(answer(null, List.of(decision(2, "Ip", "203.0.113.9", "ban", "1h"))), false);
        assertEquals(b.untilMillis(), ban("203.0.113.9/32").untilMillis(), "decision 1 still holds it");

        time.advance(Duration.ofMinutes(1));
        DecisionSync fresh = new DecisionSync(engine, time, List.of("ban"), 3, "", new PostwardenMetrics(registry));
        fresh.apply(answer(List.of(decision(1, "Ip", "203.0.113.9", "ban", "3h59m")), null), true);
        assertEquals(1, ban("203.0.113.9/32").offense(), "a restart's startup answer is no new offense");
        assertEquals(2, counted("held"));
        assertEquals(1, fresh.decisions());
        fresh.apply(answer(null, List.of(decision(1, "Ip", "203.0.113.9", "ban", "3h59m"))), false);
        assertNull(ban("203.0.113.9/32"), "the last decision deleted");
    }

    @Test
    void goDurations() {
        assertEquals(Duration.ofMillis(3_599_500), GoDuration.parse("59m59.5s"));
        assertEquals(Duration.ofHours(167).plusMinutes(59).plusSeconds(59), GoDuration.parse("167h59m59s"));
        assertEquals(Duration.ofMillis(1500).negated(), GoDuration.parse("-1.5s"));
        assertEquals(Duration.ofMillis(250), GoDuration.parse("250ms"));
        assertEquals(Duration.ZERO, GoDuration.parse("0s"));
        for (String bad : List.of("", "1x", "h", "1h-2m", "1.2.3s")) {
            org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> GoDuration.parse(bad),
                    bad);
        }
    }
}
