package org.postwarden.ingest.parse;

import org.postwarden.model.TimeSource;

import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * Turns log time stamps into epoch milliseconds: the classic syslog form {@code Nov 22 10:00:01[.ffffff]} (no year,
 * no zone: read in {@code zone}; the year is the one that puts the first stamp not in the future of {@code clock},
 * then follows the stream, so a log running over New Year counts on), and RFC 3339 ({@code 2025-11-22T10:00:01.5Z},
 * {@code +01:00}; without an offset, in {@code zone}). Hand-written (no formatter, no regex): it runs for every
 * interesting line. One instance per stream; thread-safe.
 */
public final class Timestamps {
    private static final String MONTHS = "JanFebMarAprMayJunJulAugSepOctNovDec";
    private final ZoneId zone;
    private final TimeSource clock;
    private int year = -1;
    private int lastMonth;

    public Timestamps(ZoneId zone, TimeSource clock) {
        this.zone = zone;
        this.clock = clock;
    }

    /** Local zone, real clock. */
    public static Timestamps system() {
        return new Timestamps(ZoneId.systemDefault(), TimeSource.SYSTEM);
    }

    static boolean isClassic(CharSequence s, int at) {
        return s.length() >= at + 15 && month(s, at) > 0 && s.charAt(at + 3) == ' ' && s.charAt(at + 6) == ' '
                && s.charAt(at + 9) == ':' && s.charAt(at + 12) == ':';
    }

    static boolean isIso(CharSequence s, int at) {
        return s.length() >= at + 19 && digits(s, at, 4) >= 0 && s.charAt(at + 4) == '-' && s.charAt(at + 7) == '-'
                && s.charAt(at + 10) == 'T' && s.charAt(at + 13) == ':';
    }

    private static int month(CharSequence s, int at) {
        for (int m = 0; m < 12; m++) {
            if (s.charAt(at) == MONTHS.charAt(3 * m) && s.charAt(at + 1) == MONTHS.charAt(3 * m + 1)
                    && s.charAt(at + 2) == MONTHS.charAt(3 * m + 2)) {
                return m + 1;
            }
        }
        return -1;
    }

    /** The value of {@code n} decimal digits at {@code at}, or -1. */
    private static int digits(CharSequence s, int at, int n) {
        int v = 0;
        for (int i = at; i < at + n; i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            v = v * 10 + (c - '0');
        }
        return v;
    }

    /** Epoch milliseconds of {@code stamp}, or -1 when it is empty or not understood. */
    public long parse(String stamp) {
        if (stamp == null || stamp.isEmpty()) {
            return -1;
        }
        try {
            if (isClassic(stamp, 0)) {
                return classic(stamp);
            }
            if (isIso(stamp, 0)) {
                return iso(stamp);
            }
        } catch (RuntimeException e) {
            return -1;
        }
        return -1;
    }

    private long classic(String s) {
        int month = month(s, 0);
        int day = s.charAt(4) == ' ' ? digits(s, 5, 1) : digits(s, 4, 2);
        int h = digits(s, 7, 2);
        int m = digits(s, 10, 2);
        int sec = digits(s, 13, 2);
        if (day < 1 || h < 0 || m < 0 || sec < 0) {
            return -1;
        }
        int millis = fraction(s, 15);
        int y;
        synchronized (this) {
            if (year < 0) {
                LocalDate today = LocalDate.ofInstant(java.time.Instant.ofEpochMilli(clock.millis()), zone);
                year = today.getYear();
                if (LocalDate.of(year, month, Math.min(day, 28)).isAfter(today.plusDays(1))) {
                    year--;
                }
            } else if (month < lastMonth - 6) {
                year++;
            } else if (month > lastMonth + 6) {
                year--;
            }
            lastMonth = month;
            y = year;
        }
        LocalDateTime t = LocalDateTime.of(y, month, day, h, m, sec);
        return t.atZone(zone).toInstant().toEpochMilli() + millis;
    }

    private long iso(String s) {
        int y = digits(s, 0, 4);
        int mo = digits(s, 5, 2);
        int d = digits(s, 8, 2);
        int h = digits(s, 11, 2);
        int mi = digits(s, 14, 2);
        int sec = s.length() >= 19 && s.charAt(16) == ':' ? digits(s, 17, 2) : -1;
        if (y < 0 || mo < 1 || d < 1 || h < 0 || mi < 0 || sec < 0) {
            return -1;
        }
        int i = 19;
        int millis = fraction(s, i);
        if (i < s.length() && s.charAt(i) == '.') {
            i++;
            while (i < s.length() && Character.isDigit(s.charAt(i))) {
                i++;
            }
        }
        LocalDateTime t = LocalDateTime.of(y, mo, d, h, mi, sec);
        long base;
        if (i >= s.length()) {
            base = t.atZone(zone).toInstant().toEpochMilli();
        } else if (s.charAt(i) == 'Z' || s.charAt(i) == 'z') {
            base = t.toInstant(ZoneOffset.UTC).toEpochMilli();
        } else {
            char sign = s.charAt(i);
            int oh = digits(s, i + 1, 2);
            int om = s.length() > i + 3 && s.charAt(i + 3) == ':' ? digits(s, i + 4, 2)
                    : s.length() >= i + 5 ? digits(s, i + 3, 2) : 0;
            if ((sign != '+' && sign != '-') || oh < 0 || om < 0) {
                return -1;
            }
            int off = (oh * 3600 + om * 60) * (sign == '-' ? -1 : 1);
            base = t.toInstant(ZoneOffset.ofTotalSeconds(off)).toEpochMilli();
        }
        return base + millis;
    }

    /** Milliseconds of a {@code .fff...} fraction at {@code at}, or 0. */
    private static int fraction(String s, int at) {
        if (at >= s.length() || s.charAt(at) != '.') {
            return 0;
        }
        int ms = 0;
        int n = 0;
        for (int i = at + 1; i < s.length() && n < 3 && Character.isDigit(s.charAt(i)); i++, n++) {
            ms = ms * 10 + (s.charAt(i) - '0');
        }
        while (n++ < 3) {
            ms *= 10;
        }
        return ms;
    }
}
