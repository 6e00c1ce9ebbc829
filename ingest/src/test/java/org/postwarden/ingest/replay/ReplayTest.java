package org.postwarden.ingest.replay;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;
import org.postwarden.config.PostwardenConfig;
import org.postwarden.config.load.ConfigLoader;
import org.postwarden.daemon.Engines;
import org.postwarden.ingest.parse.LogCategory;
import org.postwarden.model.Cidr;
import org.postwarden.model.KeyLevel;
import org.postwarden.model.ManualTimeSource;
import org.postwarden.reputation.Ban;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Replays generated multi-day logs and checks the report against what the generator wrote. */
class ReplayTest {
    static final Instant START = Instant.parse("2025-03-01T00:00:00Z");
    @TempDir
    Path dir;

    static Replay replay(PostwardenConfig c, List<String> progress) {
        return new Replay(c, Engines::offline, progress == null ? null : progress::add, ZoneOffset.UTC,
                new ManualTimeSource(Instant.parse("2025-03-20T00:00:00Z").toEpochMilli()));
    }

    /** Checks a report against the generator's totals; the same for the small and the 1M-line run. */
    static void verify(ReplayReport r, LogGenerator.Written w) {
        assertEquals(w.lines, r.lines(), "every line read");
        assertEquals(w.pregreet, r.events(LogCategory.PREGREET));
        for (Map.Entry<String, Long> e : w.pregreetBy.entrySet()) {
            assertEquals((long) e.getValue(), r.count(LogCategory.PREGREET, Cidr.parseAddress(e.getKey())), e.getKey());
        }
        assertEquals(w.saslAdmin, r.userCount(LogCategory.SASL, "admin"));
        assertEquals(w.saslCeo, r.userCount(LogCategory.SASL, "ceo"));
        assertEquals(w.dovecotAttempts, r.userCount(LogCategory.SASL, "bob"));
        assertEquals(w.saslAdmin + w.saslCeo + w.dovecotAttempts, r.events(LogCategory.SASL));
        assertEquals(w.tls, r.events(LogCategory.TLS));
        assertEquals(w.relay, r.events(LogCategory.RELAY));
        assertEquals(w.relay, r.events(LogCategory.HELO), "every relay probe used a generic HELO");

        List<Ban> bans = r.bans();
        // every PREGREET bot came in bursts of at least 3 (24 points >= 20): each was banned at least once
        for (String bot : w.pregreetBy.keySet()) {
            assertTrue(bans.stream().anyMatch(b -> b.key().cidr().equals(bot + "/32")), "bot " + bot + " banned");
        }
        assertTrue(bans.stream().anyMatch(b -> b.key().cidr().startsWith("198.18.") && b.offense() >= 2),
                "a bot that came back was banned longer: " + bans);
        assertTrue(bans.stream().anyMatch(b -> b.key().cidr().equals("203.0.113.0/24")
                && b.key().level() == KeyLevel.SUBNET), "the TLS flood got its /24 banned");
        assertFalse(bans.stream().anyMatch(b -> b.key().level() == KeyLevel.HOST
                && b.key().cidr().startsWith("203.0.113.")), "no single flood address crossed the threshold");
        assertTrue(bans.stream().anyMatch(b -> b.key().cidr().startsWith("192.0.2.10")), "password guessers");
        assertFalse(bans.stream().anyMatch(b -> b.key().cidr().startsWith("198.51.100.")
                || b.key().cidr().startsWith("10.") || b.key().cidr().startsWith("45.")), "no innocent bans");
        assertTrue(r.alerts().stream().anyMatch(a -> "ceo".equals(a.get("user"))),
                "the slow distributed attack on ceo is alerted: " + r.alerts());
    }

    @Test
    void aThreeDayGzipLogGivesTheRightReport() throws Exception {
        Path log = dir.resolve("mail.log.1.gz");
        LogGenerator.Written w = new LogGenerator(7, 150_000, START, Duration.ofDays(3)).write(log, "gz");
        ReplayReport r = replay(ConfigLoader.loadDefault(), null).run(List.of(log));
        verify(r, w);
        String text = r.toText(5);
        assertTrue(text.contains("PREGREET (talked before the greeting): " + String.format("%,d", w.pregreet)),
                text);
        assertTrue(text.contains("period: 2025-03-01 00:00:00 .. "), text);
        assertTrue(text.contains("Bans the current configuration would have issued"), text);
        assertTrue(text.contains("203.0.113.0/24"), text);
        JsonNode json = new ObjectMapper().readTree(r.toJson(5));
        assertEquals(w.lines, json.at("/summary/lines").asLong());
        assertEquals(w.pregreet, json.at("/categories/pregreet/events").asLong());
        assertEquals(5, json.at("/categories/pregreet/top_addresses").size());
        List<String> users = new ArrayList<>();
        json.at("/categories/sasl/top_users").forEach(u -> users.add(u.get("key").asText()));
        assertTrue(users.containsAll(List.of("admin", "ceo", "bob")), users.toString());
        assertTrue(json.at("/bans").size() > 10);
        assertTrue(json.at("/bans/0/network").isTextual());
    }

    @Test
    void ipv6AddressesAreReportedAsPostfixWritesThem() throws Exception {
        Path log = dir.resolve("mail.log");
        String line = "Mar  1 10:00:00 mx postfix/postscreen[1]: PREGREET 11 after 0 from [2001:db8:77::22]:4711: "
                + "EHLO x\n";
        Files.writeString(log, line.repeat(3));
        ReplayReport r = replay(ConfigLoader.loadDefault(), null).run(List.of(log));
        String text = r.toText(5);
        assertTrue(text.contains("2001:db8:77::22"), text);
        assertTrue(text.contains("2001:db8:77::/64"), "the /64 banned: " + text);
        assertFalse(text.contains(":0:0:"), "no long form: " + text);
        JsonNode json = new ObjectMapper().readTree(r.toJson(5));
        assertEquals("2001:db8:77::22", json.at("/categories/pregreet/top_addresses/0/key").asText(), json.toString());
        assertEquals("2001:db8:77::/64", json.at("/bans/0/network").asText(), json.toString());
        assertEquals(3, r.count(LogCategory.PREGREET, Cidr.parseAddress("2001:DB8:77:0:0:0:0:22")), "any input form");
    }

    @Test
    void rotatedFilesAreReadOldestFirstWhateverTheOrderGiven() throws Exception {
        Path older = dir.resolve("mail.log.1");
        Path newer = dir.resolve("mail.log");
        Files.writeString(older, "Mar  1 10:00:00 mx postfix/postscreen[1]: PREGREET 1 after 0 from [192.0.2.1]:1: x\n"
                .repeat(3));
        Files.writeString(newer, "Mar  1 14:00:00 mx postfix/postscreen[1]: PREGREET 1 after 0 from [192.0.2.1]:1: x\n"
                .repeat(3));
        Files.setLastModifiedTime(older, FileTime.from(Instant.parse("2025-03-01T10:00:01Z")));
        Files.setLastModifiedTime(newer, FileTime.from(Instant.parse("2025-03-01T14:00:01Z")));
        ReplayReport r = replay(ConfigLoader.loadDefault(), null).run(List.of(newer, older));
        List<Ban> bans = r.bans();
        assertEquals(2, bans.size(), bans.toString());
        assertEquals(Instant.parse("2025-03-01T10:00:00Z").toEpochMilli(), bans.get(0).sinceMillis());
        assertEquals(Duration.ofHours(1).toMillis(), bans.get(0).untilMillis() - bans.get(0).sinceMillis());
        assertEquals(2, bans.get(1).offense(), "back after its first ban expired: the second step");
        assertEquals(Duration.ofDays(1).toMillis(), bans.get(1).untilMillis() - bans.get(1).sinceMillis());
    }

    @Test
    void dockerJsonFilesAreRecognisedByContent() throws Exception {
        Path json = dir.resolve("c0ffee-json.log");
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            lines.add("{\"log\":\"postfix/submission/smtpd[" + i + "]: warning: unknown[192.0.2.9]: SASL LOGIN "
                    + "authentication failed: UGFzc3dvcmQ6, sasl_username=root\\n\",\"stream\":\"stderr\","
                    + "\"time\":\"2025-03-01T10:00:0" + i + ".000000001Z\"}");
        }
        lines.add("{broken json");
        Files.write(json, lines, StandardCharsets.UTF_8);
        ReplayReport r = replay(ConfigLoader.loadDefault(), null).run(List.of(json));
        assertEquals(4, r.userCount(LogCategory.SASL, "root"));
        JsonNode j = new ObjectMapper().readTree(r.toJson(3));
        assertEquals("2025-03-01T10:00Z", j.at("/categories/sasl/top_addresses/0/first").asText());
        assertEquals(1, j.at("/summary/malformed").asLong());
    }

    @Test
    void aReplayFollowsTheConfigurationItIsGiven() throws Exception {
        Path log = dir.resolve("mail.log");
        Files.writeString(log, "Mar  1 10:00:00 mx postfix/postscreen[1]: PREGREET 1 after 0 from [192.0.2.1]:1: x\n"
                .repeat(3));
        PostwardenConfig strict = ConfigLoader.load("t", "bans: {threshold: 0}\n");
        assertTrue(replay(strict, null).run(List.of(log)).bans().isEmpty(), "no bans when scores never ban");
        PostwardenConfig allow = ConfigLoader.load("t", "allowlist: {clients: [192.0.2.0/24]}\n");
        assertTrue(replay(allow, null).run(List.of(log)).bans().isEmpty(), "an allowlisted client is never banned");
    }

    /**
     * The benchmark: {@code ./mvnw -q -pl ingest test -Dtest=ReplayTest#millionLines -Dreplay.lines=1000000}
     * (add {@code -Dreplay.keep=/tmp/mail.log} to keep the generated file, e.g. to time the CLI on it).
     */
    @Test
    @EnabledIfSystemProperty(named = "replay.lines", matches = "\\d+")
    void millionLines() throws Exception {
        long n = Long.parseLong(System.getProperty("replay.lines"));
        String keep = System.getProperty("replay.keep", "");
        Path log = keep.isEmpty() ? dir.resolve("mail.log") : Path.of(keep);
        LogGenerator.Written w = new LogGenerator(1, n, START, Duration.ofDays(7)).write(log, "plain");
        List<String> progress = new ArrayList<>();
        ReplayReport r = replay(ConfigLoader.loadDefault(), progress).run(List.of(log));
        verify(r, w);
        System.out.printf("replay of %,d lines (%,d bytes, 7 days): %.2f s, %,.0f lines/s%n", r.lines(),
                Files.size(log), r.lines() / r.linesPerSecond(), r.linesPerSecond());
        System.out.println(r.toText(5));
        progress.forEach(System.out::println);
    }
}
