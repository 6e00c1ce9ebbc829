package org.postwarden.crowdsec;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.postwarden.api.Engine;
import org.postwarden.reputation.Ban;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Chooses which of Postwarden's bans go to CrowdSec and writes them as LAPI alerts: each active ban that did not
 * come from CrowdSec ({@link DecisionSync#REASON}) and was not pushed before (a key banned again, e.g. escalated,
 * is pushed again), one alert with one ban decision for the ban's remaining time (ten years for a permanent one),
 * scenario {@code prefix + reason}. At most {@value #MAX_PER_ROUND} per round, oldest first.
 *
 * <p>Not thread-safe: one round at a time.
 */
final class BanPush {
    static final int MAX_PER_ROUND = 500;
    private static final Duration PERMANENT = Duration.ofDays(3650);
    private final String prefix;
    /** Key (CIDR) → the start time of the ban last pushed for it. */
    private final Map<String, Long> pushed = new HashMap<>();

    BanPush(String prefix) {
        this.prefix = prefix;
    }

    /** The bans to push now, oldest first. */
    List<Ban> due(Engine.BanList bans, long now) {
        List<Ban> out = new ArrayList<>();
        Set<String> activeKeys = new HashSet<>();
        List<Ban> active = bans.active();
        for (int i = active.size() - 1; i >= 0; i--) {
            Ban b = active.get(i);
            String key = b.key().cidr();
            activeKeys.add(key);
            if (!b.activeAt(now) || DecisionSync.REASON.equals(b.reason())) {
                continue;
            }
            Long since = pushed.get(key);
            if ((since == null || since != b.sinceMillis()) && out.size() < MAX_PER_ROUND) {
                out.add(b);
            }
        }
        pushed.keySet().retainAll(activeKeys);
        return out;
    }

    /** Remembers that {@code bans} reached the LAPI. */
    void pushed(List<Ban> bans) {
        bans.forEach(b -> pushed.put(b.key().cidr(), b.sinceMillis()));
    }

    /** The body of {@code POST /v1/alerts} for {@code bans}. */
    ArrayNode alerts(List<Ban> bans, long now) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        ArrayNode out = f.arrayNode();
        String at = Instant.ofEpochMilli(now).toString();
        for (Ban b : bans) {
            String cidr = b.key().cidr();
            boolean host = b.key().prefix() == (b.key().v6() ? 128 : 32);
            String value = host ? cidr.substring(0, cidr.lastIndexOf('/')) : cidr;
            String scope = host ? "Ip" : "Range";
            String scenario = prefix + b.reason();
            Duration left = b.permanent() ? PERMANENT : Duration.ofMillis(b.untilMillis() - now);
            ObjectNode a = out.addObject();
            a.put("scenario", scenario);
            a.put("scenario_hash", "");
            a.put("scenario_version", "");
            a.put("message", "Postwarden ban of " + cidr + " (" + b.reason() + ", offense " + b.offense() + ")");
            a.put("events_count", 1);
            a.put("start_at", Instant.ofEpochMilli(b.sinceMillis()).toString());
            a.put("stop_at", at);
            a.put("capacity", 0);
            a.put("leakspeed", "0");
            a.put("simulated", false);
            a.putArray("events");
            ObjectNode src = a.putObject("source");
            src.put("scope", scope);
            src.put("value", value);
            if (host) {
                src.put("ip", value);
            } else {
                src.put("range", value);
            }
            ObjectNode d = a.putArray("decisions").addObject();
            d.put("duration", GoDuration.format(left));
            d.put("origin", "postwarden");
            d.put("scenario", scenario);
            d.put("scope", scope);
            d.put("type", "ban");
            d.put("value", value);
        }
        return out;
    }
}
