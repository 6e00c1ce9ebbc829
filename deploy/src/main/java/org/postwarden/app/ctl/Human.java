package org.postwarden.app.ctl;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Human-readable rendering of admin API answers: aligned tables, ages like "3m", scores with one decimal. */
final class Human {
    private final PrintWriter out;

    Human(PrintWriter out) {
        this.out = out;
    }

    void line(String s) {
        out.println(s);
    }

    // ---- formatting helpers ---------------------------------------------------------------------------------

    static String age(long seconds) {
        if (seconds < 60) {
            return seconds + "s";
        }
        if (seconds < 3600) {
            return seconds / 60 + "m";
        }
        if (seconds < 86_400) {
            return seconds / 3600 + "h";
        }
        return seconds / 86_400 + "d";
    }

    static String num(double d) {
        if (d == Math.rint(d) && Math.abs(d) < 1e15) {
            return Long.toString((long) d);
        }
        return String.format(Locale.ROOT, "%.1f", d);
    }

    static String text(JsonNode n, String field) {
        JsonNode v = n == null ? null : n.get(field);
        return v == null || v.isNull() ? "-" : v.asText();
    }

    /** Prints rows as a table with a header; every cell is single-line. */
    void table(List<String> header, List<List<String>> rows) {
        int[] w = new int[header.size()];
        for (int i = 0; i < w.length; i++) {
            w[i] = header.get(i).length();
        }
        for (List<String> r : rows) {
            for (int i = 0; i < w.length && i < r.size(); i++) {
                w[i] = Math.max(w[i], r.get(i).length());
            }
        }
        printRow(header, w);
        for (List<String> r : rows) {
            printRow(r, w);
        }
    }

    private void printRow(List<String> cells, int[] w) {
        StringBuilder sb = new StringBuilder("  ");
        for (int i = 0; i < w.length; i++) {
            String c = i < cells.size() ? cells.get(i) : "";
            sb.append(c);
            if (i < w.length - 1) {
                sb.append(" ".repeat(w[i] - c.length() + 2));
            }
        }
        out.println(sb.toString().stripTrailing());
    }

    // ---- answers --------------------------------------------------------------------------------------------

    void status(JsonNode j) {
        line("postwarden " + text(j, "version") + (j.path("ready").asBoolean() ? ", ready" : ", NOT READY")
                + (j.path("dryRun").asBoolean() ? ", global DRY-RUN" : "") + ", up " + age(j.path("uptimeSeconds").asLong())
                + " (since " + text(j, "started") + ")");
        line("config: " + text(j, "config"));
        JsonNode r = j.get("lastReload");
        if (r != null && !r.isNull()) {
            line("last reload: " + (r.path("ok").asBoolean() ? "ok" : "REFUSED") + " at " + text(r, "at") + " ("
                    + text(r, "trigger") + ")");
            for (JsonNode e : r.path("errors")) {
                line("  error: " + e.asText());
            }
        } else {
            line("last reload: none since start");
        }
        for (JsonNode w : j.path("restartNeeded")) {
            line("restart needed: " + w.asText());
        }
        line("listeners:");
        List<List<String>> rows = new ArrayList<>();
        for (JsonNode l : j.path("listeners")) {
            rows.add(List.of(text(l, "name"), text(l, "address")));
        }
        table(List.of("NAME", "ADDRESS"), rows);
        JsonNode s = j.path("store");
        line("store: " + text(s, "clientKeys") + " client keys, " + text(s, "users") + " users, " + text(s, "bans")
                + " active bans");
        StringBuilder d = new StringBuilder("decisions since start:");
        j.path("decisionsSinceStart").properties().forEach(e -> d.append(' ').append(e.getKey()).append('=')
                .append(e.getValue().asText()));
        line(d.toString());
        JsonNode dnsbl = j.path("dnsbl");
        line("dnsbl: " + (dnsbl.path("enabled").asBoolean() ? "on" : "off")
                + (dnsbl.path("failingZones").isEmpty() ? "" : ", FAILING zones: " + dnsbl.path("failingZones"))
                + (dnsbl.path("switchedOffZones").isEmpty() ? "" : ", SWITCHED OFF zones: "
                        + dnsbl.path("switchedOffZones")));
        if (dnsbl.has("zones")) {
            List<List<String>> zones = new ArrayList<>();
            for (JsonNode z : dnsbl.path("zones")) {
                zones.add(List.of(text(z, "zone"), text(z, "state"), text(z, "lastProbe"),
                        z.path("lastProbeAt").isNull() ? "-" : text(z, "lastProbeAt"),
                        z.path("why").isNull() ? "" : text(z, "why")));
            }
            table(List.of("ZONE", "STATE", "PROBE", "PROBED AT", "WHY"), zones);
            JsonNode own = dnsbl.path("ownAddresses");
            JsonNode listed = own.path("listed");
            line("own addresses: " + text(own, "checked") + " checked every " + age(own.path("intervalSeconds")
                    .asLong()) + ", last " + (own.path("lastCheck").isNull() ? "never" : text(own, "lastCheck"))
                    + (listed.isEmpty() ? ", none listed" : ", LISTED:"));
            for (JsonNode l : listed) {
                line("  " + text(l, "address") + " in " + text(l, "zone") + " (" + text(l, "codes") + ") since "
                        + text(l, "since"));
            }
        }
    }

    void explain(JsonNode j) {
        if (j.has("ip")) {
            explainClient(j);
        } else {
            explainUser(j);
        }
    }

    /** One network of the client (the /24, an IPv6 tier): its crowd, its cap, whether it judges this client. */
    private void network(JsonNode n) {
        JsonNode cap = n.get("contributionCap");
        String children = n.hasNonNull("children") ? text(n, "children") : "hosts";
        String child = children.endsWith("s") ? children.substring(0, children.length() - 1) : children;
        String key = n.hasNonNull("minKey") ? text(n, "minKey") : "scoring.subnet-min-hosts";
        int banMin = n.path("banMinContributors").asInt(0);
        JsonNode ban = n.get("ban");
        line("network " + text(n, "cidr") + ": score " + num(n.path("score").asDouble()) + " from "
                + text(n, "contributors") + " contributing " + child + "(s), needs " + text(n, "minContributors")
                + " (" + key + "); each " + child + " adds at most "
                + (cap == null || cap.isNull() ? "anything" : num(cap.asDouble())) + "; a network refuses at "
                + "most with a defer (4xx) unless banned"
                + (banMin > 0 ? "; banned from " + banMin + " contributing " + child + "(s)" : "; never banned")
                + (ban == null || ban.isNull() ? "" : "; BANNED " + (ban.path("permanent").asBoolean()
                        ? "permanently" : "until " + text(ban, "until"))));
        line("  " + (n.path("judged").asBoolean() ? "judged by it: " : "not judged by it: ") + text(n, "why"));
    }

    private void notes(JsonNode j) {
        for (JsonNode s : j.path("status")) {
            line("  * " + s.asText());
        }
    }

    private void explainClient(JsonNode j) {
        line("client " + text(j, "ip") + " at " + text(j, "at"));
        notes(j);
        line("");
        line("scores (thresholds scale with scoring.subnet-factor above the host level):");
        List<List<String>> rows = new ArrayList<>();
        for (JsonNode k : j.path("keys")) {
            JsonNode t = k.path("thresholds");
            JsonNode ban = k.get("ban");
            rows.add(List.of(text(k, "level"), text(k, "cidr"), num(k.path("score").asDouble()),
                    num(t.path("tag").asDouble()) + "/" + num(t.path("defer").asDouble()) + "/"
                            + num(t.path("reject").asDouble()),
                    ban == null || ban.isNull() ? "-" : (ban.path("permanent").asBoolean() ? "permanent"
                            : "until " + text(ban, "until")) + " (" + text(ban, "detail") + ")",
                    text(k, "earlierBans")));
        }
        table(List.of("LEVEL", "KEY", "SCORE", "TAG/DEFER/REJECT", "BAN", "BANS-90D"), rows);
        JsonNode nets = j.path("networks");
        if (nets.isArray() && !nets.isEmpty()) {
            for (JsonNode n : nets) {
                network(n);
            }
        } else if (j.path("network").isObject()) {
            network(j.path("network"));
        }
        JsonNode h = j.path("history");
        if (h.isObject()) {
            JsonNode dirty = h.get("lastOwnScoreAtTag");
            line("history of " + text(h, "host") + ": " + text(h, "acceptedMessages") + " accepted message(s) (clean "
                    + "from " + text(h, "needed") + ", networks.clean-history-messages), own score at the tag "
                    + "threshold " + (dirty == null || dirty.isNull() ? "never" : "last at " + dirty.asText())
                    + (h.path("clean").asBoolean() ? ": CLEAN, judged by its own score and bans only" : ""));
        }
        line("");
        line("limits (sliding windows):");
        rows = new ArrayList<>();
        for (JsonNode k : j.path("keys")) {
            for (JsonNode c : k.path("counters")) {
                rows.add(List.of(text(k, "level"), text(c, "type"), text(c, "window"), text(c, "count"),
                        text(c, "max"), c.path("exceeded").asBoolean() ? "EXCEEDED" : ""));
            }
        }
        table(List.of("LEVEL", "COUNTER", "WINDOW", "COUNT", "MAX", ""), rows);
        line("open connections (milter): " + text(j, "openConnections"));
        line("");
        signals(j.path("signals"));
        decisions(j.path("decisions"), j.path("historyCapacity").asInt());
    }

    private void explainUser(JsonNode j) {
        line("SASL user " + text(j, "user") + " at " + text(j, "at") + (j.path("known").asBoolean() ? ""
                : " (nothing counted yet)"));
        notes(j);
        JsonNode s = j.get("suspension");
        line("suspension: " + (s == null || s.isNull() ? "none" : "since " + text(s, "sinceMillis") + " ("
                + text(s, "reason") + ")"));
        line("");
        line("outbound quotas (the layers that apply, each counted on its own):");
        List<List<String>> rows = new ArrayList<>();
        for (JsonNode q : j.path("quotas")) {
            String layer = text(q, "layer") + " (" + text(q, "rule") + ")";
            if (q.path("counters").isEmpty()) {
                rows.add(List.of(layer, "-", "-", "-", "-", "no limit"));
            }
            for (JsonNode c : q.path("counters")) {
                rows.add(List.of(layer, text(c, "type"), text(c, "window"), text(c, "count"), text(c, "max"),
                        c.path("exceeded").asBoolean() ? "EXCEEDED" : ""));
            }
        }
        table(List.of("LAYER", "COUNTER", "WINDOW", "COUNT", "MAX", ""), rows);
        line("sending score (its own signals, e.g. quota overruns; never added to its addresses): "
                + num(j.path("sendingScore").asDouble()));
        logins(j.path("logins"));
        line("");
        decisions(j.path("decisions"), j.path("historyCapacity").asInt());
    }

    /** Failed IMAP/POP3 logins of a user, as the auth policy counted them. */
    private void logins(JsonNode l) {
        if (l.isMissingNode() || l.isNull()) {
            return;
        }
        line("");
        line("logins (auth-policy, last " + text(l, "window") + "): " + l.path("failures").asInt()
                + " failed login(s) from " + l.path("addresses").asInt() + " address(es); failed-login score "
                + num(l.path("failedScore").asDouble()) + "; " + l.path("sprayingUsers").asInt()
                + " distinct user(s) failed site-wide (spraying)");
        for (JsonNode s : l.path("stale")) {
            line("  " + s.asText());
        }
        for (JsonNode d : l.path("knownDevices")) {
            line("  known device: " + d.asText());
        }
    }

    private void signals(JsonNode signals) {
        if (signals.isEmpty()) {
            line("signals: none among the recent decisions");
            return;
        }
        line("signals (newest first):");
        List<List<String>> rows = new ArrayList<>();
        for (JsonNode s : signals) {
            rows.add(List.of(age(s.path("ageSeconds").asLong()) + " ago", text(s, "signal"),
                    "+" + num(s.path("weight").asDouble()), text(s, "detail") + (s.path("dryRun").asBoolean()
                            ? " (dry-run)" : "")));
        }
        table(List.of("AGE", "SIGNAL", "WEIGHT", "DETAIL"), rows);
        line("");
    }

    private void decisions(JsonNode decisions, int capacity) {
        if (decisions.isEmpty()) {
            line("recent decisions: none among the last " + capacity + " kept");
            return;
        }
        line("recent decisions (newest first; the last " + capacity + " non-pass decisions are kept):");
        for (JsonNode d : decisions) {
            String would = text(d, "wouldHave");
            line("  " + age(d.path("ageSeconds").asLong()) + " ago  " + text(d, "source") + " " + text(d, "stage")
                    + "  " + text(d, "action").toUpperCase(Locale.ROOT)
                    + (would.equals(text(d, "action")) ? "" : " (would " + would + ")")
                    + "  reason=" + text(d, "reason")
                    + (d.path("user").asText().isEmpty() ? "" : "  user=" + text(d, "user"))
                    + (d.path("recipient").asText().isEmpty() ? "" : "  to=<" + text(d, "recipient") + ">"));
            for (JsonNode f : d.path("findings")) {
                String proposed = text(f, "proposed");
                line("      " + text(f, "check") + "/" + text(f, "reason")
                        + ("pass".equals(proposed) ? "" : " -> " + proposed)
                        + "  value " + num(f.path("value").asDouble())
                        + (f.path("threshold").asDouble() == 0 ? "" : " vs " + num(f.path("threshold").asDouble()))
                        + "  " + text(f, "detail") + (f.path("dryRun").asBoolean() ? " (dry-run)" : ""));
            }
        }
    }

    void bans(JsonNode bans) {
        if (bans == null || bans.isEmpty()) {
            line("no active bans");
            return;
        }
        List<List<String>> rows = new ArrayList<>();
        for (JsonNode b : bans) {
            rows.add(List.of(text(b, "cidr"), text(b, "level"), b.path("permanent").asBoolean() ? "permanent"
                    : text(b, "until"), text(b, "since"), text(b, "reason"), text(b, "offense"), text(b, "detail")));
        }
        table(List.of("CIDR", "LEVEL", "UNTIL", "SINCE", "REASON", "OFFENSE", "DETAIL"), rows);
    }

    void banAdded(JsonNode j) {
        JsonNode b = j.path("ban");
        line("banned " + text(b, "cidr") + (b.path("permanent").asBoolean() ? " permanently"
                : " until " + text(b, "until")) + " (offense " + text(b, "offense") + ")");
        for (JsonNode w : j.path("warnings")) {
            line("warning: " + w.asText());
        }
    }

    void suspensions(JsonNode j) {
        JsonNode list = j.path("suspensions");
        if (list.isEmpty()) {
            line("no sender is suspended");
            return;
        }
        List<List<String>> rows = new ArrayList<>();
        long now = System.currentTimeMillis();
        for (JsonNode s : list) {
            rows.add(List.of(text(s, "subject"), age(Math.max(0, (now - s.path("sinceMillis").asLong()) / 1000)),
                    text(s, "reason"), text(s, "heldMessages"), String.join(",", strings(s.path("senders")))));
        }
        table(List.of("SENDER", "SINCE", "REASON", "HELD", "ENVELOPE SENDERS"), rows);
        for (JsonNode s : list) {
            line(text(s, "subject") + ": " + text(s, "detail"));
        }
        line("messages are " + ("defer".equals(text(j, "action")) ? "deferred" : "held")
                + " until released: postwarden ctl release SENDER (or purge SENDER to delete the held ones)");
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        for (JsonNode n : array) {
            out.add(n.asText());
        }
        return out;
    }

    void queueAction(String key, String what, JsonNode j) {
        JsonNode s = j.path(key);
        line(key + " " + text(s, "subject") + " (suspended for " + text(s, "reason") + ", " + text(s, "heldMessages")
                + " message(s) held): " + text(j, "messages") + " message(s) " + what);
        String error = text(j, "error");
        if (!error.isEmpty() && !"-".equals(error)) {
            line("warning: the queue command failed, check the hold queue by hand (postqueue -j): " + error);
            List<String> ids = strings(s.path("queueIds"));
            if (!ids.isEmpty()) {
                line("queue ids held for it, as far as Postwarden saw them: " + String.join(" ", ids));
            }
        }
    }

    void ackCorrupt(JsonNode j) {
        if (j.path("acknowledged").asBoolean()) {
            line("acknowledged: " + text(j, "what"));
            line("the daemon reports ready again");
        } else {
            line("nothing to acknowledge: the state snapshot was readable at start");
        }
    }

    void reload(JsonNode j) {
        if (j.path("ok").asBoolean()) {
            line("configuration reloaded from " + text(j, "source"));
        } else {
            line("reload REFUSED; the running configuration stays. " + text(j, "source") + ":");
            for (JsonNode e : j.path("errors")) {
                line("  " + e.asText());
            }
        }
        for (JsonNode w : j.path("warnings")) {
            line("warning: " + w.asText());
        }
    }

    void report(JsonNode j) {
        line("report at " + text(j, "at"));
        for (Map.Entry<String, JsonNode> level : j.path("topScores").properties()) {
            line("");
            line("top scores, " + level.getKey() + " keys:");
            if (level.getValue().isEmpty()) {
                line("  none");
                continue;
            }
            List<List<String>> rows = new ArrayList<>();
            for (JsonNode s : level.getValue()) {
                rows.add(List.of(text(s, "cidr"), num(s.path("score").asDouble())));
            }
            table(List.of("KEY", "SCORE"), rows);
        }
        line("");
        line("top offenders by category (last " + text(j, "decisionsConsidered") + " recorded decisions):");
        if (j.path("categories").isEmpty()) {
            line("  none");
        }
        for (JsonNode c : j.path("categories")) {
            line("  " + text(c, "category") + " (" + text(c, "decisions") + " decisions)");
            List<List<String>> rows = new ArrayList<>();
            for (JsonNode o : c.path("top")) {
                rows.add(List.of("  " + text(o, "client"), text(o, "decisions"), text(o, "lastAction"),
                        age(o.path("lastAgeSeconds").asLong()) + " ago"));
            }
            table(List.of("  CLIENT", "COUNT", "LAST", "WHEN"), rows);
        }
        line("");
        if (j.path("userWindow").isNull() || j.path("userWindow").isMissingNode()) {
            line("SASL users by message rate: no limits.sasl-user.messages window configured");
        } else {
            line("SASL users by messages per " + text(j, "userWindow") + ":");
            List<List<String>> rows = new ArrayList<>();
            for (JsonNode u : j.path("topUsers")) {
                rows.add(List.of(text(u, "user"), text(u, "messages"), text(u, "max")));
            }
            if (rows.isEmpty()) {
                line("  none");
            } else {
                table(List.of("USER", "MESSAGES", "MAX"), rows);
            }
        }
        line("");
        line("suspended senders (outbound guard): " + j.path("suspended").size());
        for (JsonNode x : j.path("suspended")) {
            line("  " + text(x, "subject") + " (" + text(x, "reason") + ", " + text(x, "heldMessages") + " held): "
                    + text(x, "detail"));
        }
        line("");
        line("active bans: " + text(j, "bansTotal"));
        bans(j.path("bans"));
    }
}
