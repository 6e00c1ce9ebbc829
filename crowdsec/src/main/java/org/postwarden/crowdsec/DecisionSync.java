package org.postwarden.crowdsec;

import com.fasterxml.jackson.databind.JsonNode;
import org.postwarden.api.Engine;
import org.postwarden.metrics.PostwardenMetrics;
import org.postwarden.model.Cidr;
import org.postwarden.model.TimeSource;
import org.postwarden.reputation.Ban;
import org.postwarden.text.LogSafe;

import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Applies answers of the LAPI decision stream to the engine's bans. A new decision of a wanted type on an Ip or
 * Range bans that address or network with reason {@value #REASON} until the decision expires (never shortening a
 * longer ban, and never banning again what is already banned as long); a deleted one lifts the ban once no other
 * decision holds it, and only a ban that came from CrowdSec. The startup answer is the whole set: a {@value #REASON} ban it no longer holds (deleted
 * while Postwarden was down) is lifted. Decisions whose scenario starts with {@code ownPrefix} are Postwarden's
 * own bans pushed back to it ({@link BanPush}) and are ignored.
 *
 * <p>Not thread-safe: one answer at a time.
 */
final class DecisionSync {
    /** The reason of bans that come from CrowdSec. */
    static final String REASON = "crowdsec";

    private final Engine engine;
    private final TimeSource time;
    private final Set<String> types;
    private final int maxDecisions;
    private final String ownPrefix;
    private final PostwardenMetrics metrics;
    /** Per banned network, the ids of the decisions that hold it and their expiry. */
    private final Map<Cidr, Map<Long, Long>> held = new HashMap<>();
    private int decisions;

    /** What one answer did. */
    record Result(int banned, int lifted, int skipped) {
    }

    DecisionSync(Engine engine, TimeSource time, List<String> types, int maxDecisions, String ownPrefix,
            PostwardenMetrics metrics) {
        this.engine = engine;
        this.time = time;
        this.types = Set.copyOf(types);
        this.maxDecisions = maxDecisions;
        this.ownPrefix = ownPrefix;
        this.metrics = metrics;
    }

    /** Applies one answer ({@code {"new":[...],"deleted":[...]}}); {@code startup}: it holds every active decision. */
    Result apply(JsonNode answer, boolean startup) {
        long now = time.millis();
        int banned = 0;
        int lifted = 0;
        int skipped = 0;
        expire(now);
        Map<String, Ban> active = new HashMap<>();
        for (Ban b : engine.bans().active()) {
            active.putIfAbsent(b.key().cidr(), b);
        }
        Set<Cidr> seen = new HashSet<>();
        for (JsonNode d : array(answer.get("deleted"))) {
            Cidr target = target(d);
            if (target != null && remove(target, d.path("id").asLong(-1)) && lift(target, active)) {
                lifted++;
            }
        }
        for (JsonNode d : array(answer.get("new"))) {
            String skip = skipReason(d);
            Cidr target = skip == null ? target(d) : null;
            if (skip == null && target == null) {
                skip = "scope";
            }
            Duration left = null;
            if (skip == null) {
                try {
                    left = GoDuration.parse(d.path("duration").asText(""));
                } catch (IllegalArgumentException e) {
                    skip = "duration";
                }
            }
            if (skip == null && !left.isPositive()) {
                skip = "expired";
            }
            if (skip == null && decisions >= maxDecisions && !held.containsKey(target)) {
                skip = "over-limit";
            }
            if (skip != null) {
                count(skip);
                skipped++;
                continue;
            }
            seen.add(target);
            long until = now + left.toMillis();
            Ban existing = active.get(target.toString());
            if (existing != null && existing.untilMillis() >= until) {
                if (!REASON.equals(existing.reason())) {
                    count("kept-own");
                    continue;
                }
                // already banned at least this long by CrowdSec (another decision, or the startup answer after a
                // restart): hold the decision, never shorten the ban or count another offense
                hold(target, d.path("id").asLong(-1), until);
                count("held");
                continue;
            }
            try {
                Ban b = engine.ban(target, left, REASON, "CrowdSec decision " + d.path("id").asLong()
                        + " (" + LogSafe.escape(d.path("origin").asText(""), 32) + " "
                        + LogSafe.escape(d.path("scenario").asText(""), 96) + ")");
                active.put(target.toString(), b);
            } catch (IllegalArgumentException e) {
                count("prefix");
                skipped++;
                continue;
            }
            hold(target, d.path("id").asLong(-1), until);
            count("banned");
            banned++;
        }
        if (startup) {
            for (Ban b : engine.bans().active()) {
                Cidr c = Cidr.parse(b.key().cidr());
                if (REASON.equals(b.reason()) && !seen.contains(c)) {
                    drop(c);
                    if (engine.unban(c)) {
                        count("lifted");
                        lifted++;
                    }
                }
            }
        }
        return new Result(banned, lifted, skipped);
    }

    private void hold(Cidr target, long id, long until) {
        if (held.computeIfAbsent(target, k -> new HashMap<>()).put(id, until) == null) {
            decisions++;
        }
    }

    /** How many decisions hold bans now. */
    int decisions() {
        return decisions;
    }

    private String skipReason(JsonNode d) {
        String type = d.path("type").asText("").toLowerCase(Locale.ROOT);
        if (!types.contains(type)) {
            return "type";
        }
        if (!ownPrefix.isEmpty() && d.path("scenario").asText("").startsWith(ownPrefix)) {
            return "own";
        }
        return null;
    }

    /** The network of an Ip or Range decision, or null for another scope or a value that is none. */
    private static Cidr target(JsonNode d) {
        String scope = d.path("scope").asText("").toLowerCase(Locale.ROOT);
        String value = d.path("value").asText("").trim();
        try {
            return switch (scope) {
                case "ip" -> {
                    var a = Cidr.parseAddress(value);
                    yield new Cidr(a, a.getAddress().length * 8);
                }
                case "range" -> Cidr.parse(value);
                default -> null;
            };
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** Forgets decision {@code id} of {@code target}; returns whether none holds it any more. */
    private boolean remove(Cidr target, long id) {
        Map<Long, Long> ids = held.get(target);
        if (ids == null) {
            return true;
        }
        if (ids.remove(id) != null) {
            decisions--;
        }
        if (ids.isEmpty()) {
            held.remove(target);
            return true;
        }
        return false;
    }

    private void drop(Cidr target) {
        Map<Long, Long> ids = held.remove(target);
        if (ids != null) {
            decisions -= ids.size();
        }
    }

    private boolean lift(Cidr target, Map<String, Ban> active) {
        Ban b = active.get(target.toString());
        if (b == null || !REASON.equals(b.reason())) {
            return false;
        }
        active.remove(target.toString());
        boolean lifted = engine.unban(target);
        if (lifted) {
            count("lifted");
        }
        return lifted;
    }

    /** Forgets decisions past their expiry (their bans have expired in the store as well). */
    private void expire(long now) {
        held.values().forEach(ids -> ids.values().removeIf(until -> {
            if (until <= now) {
                decisions--;
                return true;
            }
            return false;
        }));
        held.values().removeIf(Map::isEmpty);
    }

    private void count(String result) {
        metrics.counter("postwarden.crowdsec.decisions",
                "CrowdSec decisions read from the LAPI stream, by what was done with them", "result", result)
                .increment();
    }

    private static Iterable<JsonNode> array(JsonNode n) {
        return n != null && n.isArray() ? n : List.of();
    }
}
