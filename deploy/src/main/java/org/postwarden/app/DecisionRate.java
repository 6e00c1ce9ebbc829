package org.postwarden.app;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Decisions per minute by enforced action over the last hour, for the console's overview chart: a ring of
 * {@value #MINUTES} + 1 per-minute samples of the {@code postwarden_decisions_total} counters (their sum by action;
 * a minute's count is its last sample minus the previous minute's). Fixed size, whatever the traffic; in memory
 * only. {@link #sample} is called every few seconds by the console's scheduler and may be called by tests with
 * their own clock. Thread-safe (synchronized).
 */
final class DecisionRate {
    static final int MINUTES = 60;
    /** Actions in chart order, each with its colour. */
    static final List<String> ACTIONS = List.of("accept", "pass", "warn", "tag", "hold", "defer", "reject");
    private static final Map<String, String> COLOURS = Map.of("accept", "#2e7d32", "pass", "#66bb6a",
            "warn", "#fbc02d", "tag", "#ffa000", "hold", "#8e24aa", "defer", "#1e88e5", "reject", "#d32f2f");
    private final MeterRegistry registry;
    private final long[] minuteOf = new long[MINUTES + 1];
    private final long[][] totals = new long[MINUTES + 1][ACTIONS.size()];

    DecisionRate(MeterRegistry registry) {
        this.registry = registry;
        java.util.Arrays.fill(minuteOf, -1);
    }

    /** Records the counters' totals now as the latest sample of the current minute. */
    synchronized void sample(long nowMillis) {
        long minute = Math.floorDiv(nowMillis, 60_000L);
        int slot = (int) Math.floorMod(minute, (long) MINUTES + 1);
        long[] t = new long[ACTIONS.size()];
        for (Counter c : registry.find("postwarden.decisions").counters()) {
            int i = ACTIONS.indexOf(String.valueOf(c.getId().getTag("action")).toLowerCase());
            if (i >= 0) {
                t[i] += (long) c.count();
            }
        }
        minuteOf[slot] = minute;
        totals[slot] = t;
    }

    /** Per action, the counts of the last {@value #MINUTES} minutes, oldest first (0 where nothing is known). */
    synchronized Map<String, long[]> perMinute(long nowMillis) {
        long now = Math.floorDiv(nowMillis, 60_000L);
        Map<String, long[]> out = new LinkedHashMap<>();
        for (String a : ACTIONS) {
            out.put(a, new long[MINUTES]);
        }
        for (int k = 0; k < MINUTES; k++) {
            long m = now - (MINUTES - 1) + k;
            long[] cur = at(m);
            long[] prev = at(m - 1);
            if (cur == null || prev == null) {
                continue;
            }
            for (int i = 0; i < ACTIONS.size(); i++) {
                out.get(ACTIONS.get(i))[k] = Math.max(0, cur[i] - prev[i]);
            }
        }
        return out;
    }

    /** The last hour as JSON-friendly data: minutes (oldest first) and counts per action. */
    Map<String, Object> lastHour(long nowMillis) {
        Map<String, Object> out = new TreeMap<>();
        out.put("minutes", MINUTES);
        out.put("perMinute", perMinute(nowMillis));
        return out;
    }

    private long[] at(long minute) {
        int slot = (int) Math.floorMod(minute, (long) MINUTES + 1);
        return minuteOf[slot] == minute ? totals[slot] : null;
    }

    /** The last hour as an inline SVG stacked bar chart with a legend (numbers only: nothing from clients). */
    String svg(long nowMillis) {
        Map<String, long[]> pm = perMinute(nowMillis);
        long max = 1;
        for (int k = 0; k < MINUTES; k++) {
            long sum = 0;
            for (long[] v : pm.values()) {
                sum += v[k];
            }
            max = Math.max(max, sum);
        }
        int w = 600;
        int h = 160;
        int bar = w / MINUTES;
        StringBuilder b = new StringBuilder();
        long total = 0;
        for (long[] v : pm.values()) {
            for (long x : v) {
                total += x;
            }
        }
        b.append("<svg id=\"rate-chart\" role=\"img\" aria-labelledby=\"rate-title\" viewBox=\"0 0 ").append(w)
                .append(' ').append(h + 40).append("\" width=\"").append(w).append("\" height=\"").append(h + 40)
                .append("\" xmlns=\"http://www.w3.org/2000/svg\"><title id=\"rate-title\">Decisions per minute by"
                        + " action, last hour: ").append(total).append(" in all, at most ").append(max)
                .append(" in one minute</title>");
        b.append("<rect x=\"0\" y=\"0\" width=\"").append(w).append("\" height=\"").append(h)
                .append("\" fill=\"#fafafa\" stroke=\"#ccc\"/>");
        for (int k = 0; k < MINUTES; k++) {
            double y = h;
            for (String a : ACTIONS) {
                long v = pm.get(a)[k];
                if (v == 0) {
                    continue;
                }
                double bh = (double) v * (h - 10) / max;
                y -= bh;
                b.append(String.format(java.util.Locale.ROOT,
                        "<rect class=\"bar\" data-action=\"%s\" x=\"%d\" y=\"%.1f\" width=\"%d\" height=\"%.1f\" fill=\"%s\">"
                                + "<title>%s: %d</title></rect>", a, k * bar, y, bar - 1, bh, COLOURS.get(a), a, v));
            }
        }
        b.append("<text x=\"2\" y=\"12\" font-size=\"11\">").append(max).append("/min</text>");
        b.append("<text x=\"2\" y=\"").append(h + 14).append("\" font-size=\"11\">-60 min</text>");
        b.append("<text x=\"").append(w - 30).append("\" y=\"").append(h + 14).append("\" font-size=\"11\">now</text>");
        int x = 0;
        for (String a : ACTIONS) {
            b.append("<rect x=\"").append(x).append("\" y=\"").append(h + 24).append("\" width=\"10\" height=\"10\" fill=\"")
                    .append(COLOURS.get(a)).append("\"/><text x=\"").append(x + 13).append("\" y=\"").append(h + 33)
                    .append("\" font-size=\"11\">").append(a).append("</text>");
            x += 80;
        }
        return b.append("</svg>").toString();
    }
}
