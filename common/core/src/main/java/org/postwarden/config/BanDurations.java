package org.postwarden.config;

import java.time.Duration;
import java.util.Locale;

/**
 * Ban lengths as written in {@code bans.durations}: a duration ({@code 1h}, {@code 1d}, {@code 1w}) or
 * {@code permanent}.
 */
public final class BanDurations {
    /** The word that means "never expires". */
    public static final String PERMANENT = "permanent";
    /** What a ban length must look like, for error messages. */
    public static final String EXPECTED = "a duration from 1s to 3650d (like 1h, 1d, 1w) or \"permanent\"";
    private static final Duration MAX = Duration.ofDays(3650);

    private BanDurations() {
    }

    /**
     * Parses one entry: {@code null} for permanent, else the duration.
     *
     * @throws IllegalArgumentException with {@link #EXPECTED} when it is neither
     */
    public static Duration parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException(EXPECTED);
        }
        String t = text.trim().toLowerCase(Locale.ROOT);
        if (t.equals(PERMANENT)) {
            return null;
        }
        Duration d = Durations.parse(t);
        if (d.compareTo(Duration.ofSeconds(1)) < 0 || d.compareTo(MAX) > 0) {
            throw new IllegalArgumentException(EXPECTED);
        }
        return d;
    }

    /** The text form of a ban length ({@code null} = permanent). */
    public static String format(Duration d) {
        return d == null ? PERMANENT : Durations.format(d);
    }
}
