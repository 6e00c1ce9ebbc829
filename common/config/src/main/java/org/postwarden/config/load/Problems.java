package org.postwarden.config.load;

import org.postwarden.config.Durations;
import org.postwarden.config.HostPort;
import org.postwarden.config.PostwardenConfig;
import org.postwarden.model.Cidr;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The errors of one validation run, and the checks several sections share. Every error is worded by
 * {@link ConfigPaths#describe}: key, value, line in the user's file, expectation. A check that finds a problem adds
 * one error and returns; nothing throws, so every problem of a file is reported at once, in the order found.
 * One instance per run, used by one thread.
 */
final class Problems {
    private final List<String> errors;
    private final Map<String, Integer> lines;

    Problems(List<String> errors, Map<String, Integer> lines) {
        this.errors = errors;
        this.lines = lines;
    }

    /** What an item of a list must be: returns the expectation when {@code item} is not that, null when it is. */
    @FunctionalInterface
    interface ItemRule {
        String problem(String item);
    }

    /** A rule met by what {@code parser} accepts; for what it rejects, {@code expected} words the expectation. */
    static ItemRule parsing(Consumer<String> parser, Function<IllegalArgumentException, String> expected) {
        return item -> {
            try {
                parser.accept(item);
                return null;
            } catch (IllegalArgumentException e) {
                return expected.apply(e);
            }
        };
    }

    static Duration longer(Duration a, Duration b) {
        return a.compareTo(b) >= 0 ? a : b;
    }

    /** Reports that {@code key} (with {@code value}, null for none) is not what was {@code expected}. */
    void fail(String key, Object value, String expected) {
        errors.add(ConfigPaths.describe(key, value == null ? null : String.valueOf(value), expected, lines));
    }

    /** Reports {@code key} unless {@code ok}. */
    void require(String key, Object value, boolean ok, String expected) {
        if (!ok) {
            fail(key, value, expected);
        }
    }

    /** Whether {@code value} is there; reports a missing (null) key. */
    boolean present(String key, Object value) {
        if (value == null) {
            fail(key, null, "a value (the key is missing or null)");
            return false;
        }
        return true;
    }

    /** Runs {@code check} on a section or nested record that is there; reports a missing one. */
    <T> void ifPresent(String key, T value, Consumer<T> check) {
        if (present(key, value)) {
            check.accept(value);
        }
    }

    /** Whether {@code value} is there and not blank (blank often means "off" or "the default"). */
    boolean nonBlank(String key, String value) {
        return present(key, value) && !value.isBlank();
    }

    void wholeNumber(String key, long value, long min, long max) {
        require(key, value, value >= min && value <= max, "a whole number from " + min + " to " + max);
    }

    /** A number where 0 turns something off. */
    void nonNegative(String key, double value) {
        require(key, value, value >= 0 && value < 1e6, "a number from 0 (off) to 1000000");
    }

    /** Checks that {@code d} is there and from {@code min} to {@code max}; returns whether it is there. */
    boolean duration(String key, Duration d, Duration min, Duration max) {
        if (!present(key, d)) {
            return false;
        }
        if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
            fail(key, Durations.format(d), "a duration from " + Durations.format(min) + " to "
                    + Durations.format(max));
        }
        return true;
    }

    void positive(String key, Duration d) {
        if (present(key, d) && (d.isZero() || d.isNegative())) {
            fail(key, Durations.format(d), "a positive duration");
        }
    }

    /** A listen or server address: an IP literal and a port. */
    void hostPort(String key, String value) {
        if (!present(key, value)) {
            return;
        }
        try {
            HostPort.parse(value);
        } catch (IllegalArgumentException e) {
            fail(key, value, e.getMessage());
        }
    }

    /** A resolver address where "" means the system's. */
    void optionalHostPort(String key, String value) {
        if (nonBlank(key, value)) {
            hostPort(key, value);
        }
    }

    /** A file path where "" turns the file off; {@code expected} says what "" means. */
    void filePath(String key, String value, String expected) {
        if (present(key, value) && value.indexOf('\u0000') >= 0) {
            fail(key, value, expected);
        }
    }

    /** A mail header name. */
    void headerName(String key, String value) {
        if (present(key, value) && !value.matches("[A-Za-z][A-Za-z0-9-]{0,62}")) {
            fail(key, value, "a header name (letters, digits, '-')");
        }
    }

    /** Checks every item of a list that is there against {@code rule}; items are reported as {@code key[i]}. */
    void each(String key, List<String> list, ItemRule rule) {
        if (!present(key, list)) {
            return;
        }
        for (int i = 0; i < list.size(); i++) {
            String problem = rule.problem(list.get(i));
            if (problem != null) {
                fail(key + "[" + i + "]", list.get(i), problem);
            }
        }
    }

    void strings(String key, List<String> list) {
        each(key, list, s -> s == null || s.isBlank() ? "a non-empty string" : null);
    }

    void cidrs(String key, List<String> list) {
        each(key, list, parsing(Cidr::parse, e -> "a network like 192.0.2.0/24 or 2001:db8::/48 ("
                + e.getMessage() + ")"));
    }

    /**
     * Checks a counter's sliding windows (at most 4; each whole seconds from 1s to 31d, with a positive maximum).
     *
     * @return the longest window, {@link Duration#ZERO} for none
     */
    Duration windows(String key, List<PostwardenConfig.Window> ws) {
        Duration longest = Duration.ZERO;
        if (!present(key, ws)) {
            return longest;
        }
        require(key, ws.size() + " windows", ws.size() <= 4, "at most 4 windows per counter");
        for (int i = 0; i < ws.size(); i++) {
            PostwardenConfig.Window w = ws.get(i);
            String k = key + "[" + i + "]";
            if (w == null) {
                fail(k, null, "{window: DURATION, max: N}");
                continue;
            }
            if (present(k + ".window", w.window())) {
                if (w.window().compareTo(Duration.ofSeconds(1)) < 0 || w.window().compareTo(Duration.ofDays(31)) > 0) {
                    fail(k + ".window", Durations.format(w.window()), "between 1s and 31d");
                } else if (w.window().toMillis() % 1000 != 0) {
                    fail(k + ".window", Durations.format(w.window()), "whole seconds");
                }
                longest = longer(longest, w.window());
            }
            wholeNumber(k + ".max", w.max(), 1, Integer.MAX_VALUE);
        }
        return longest;
    }
}
