package org.postwarden.ingest.parse;

import org.postwarden.model.Cidr;
import org.postwarden.text.LogSafe;

import java.net.InetAddress;

/** Small, allocation-light helpers for picking fields out of log messages. No regular expressions. */
final class Fields {
    /** Longest text from a log line kept in an event's detail. */
    static final int DETAIL_MAX = 160;

    private Fields() {
    }

    /**
     * The address in the first {@code [...]} at or after {@code from} ({@code unknown[192.0.2.1]},
     * {@code [2001:db8::1]:4711}), or null when there is none or it is not an IP literal (e.g. {@code [unknown]}).
     */
    static InetAddress bracketAddress(String s, int from) {
        int open = s.indexOf('[', from);
        if (open < 0) {
            return null;
        }
        int close = s.indexOf(']', open + 1);
        if (close < 0 || close - open > 50) {
            return null;
        }
        return ip(s.substring(open + 1, close));
    }

    /** An IP literal, or null. Never does DNS. */
    static InetAddress ip(String text) {
        if (text.isEmpty() || text.length() > 45) {
            return null;
        }
        char c = text.charAt(0);
        if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' || c == ':')) {
            return null;
        }
        try {
            return Cidr.parseAddress(text);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** The decimal number starting at {@code at}, or -1 (at most 9 digits). */
    static int number(String s, int at) {
        int v = 0;
        int i = at;
        while (i < s.length() && i - at < 9 && Character.isDigit(s.charAt(i))) {
            v = v * 10 + (s.charAt(i) - '0');
            i++;
        }
        return i == at ? -1 : v;
    }

    /** The text between {@code open} and the next {@code close} after it, or "" (at most {@code max} chars). */
    static String between(String s, String open, char close, int max) {
        int a = s.indexOf(open);
        if (a < 0) {
            return "";
        }
        a += open.length();
        int b = s.indexOf(close, a);
        if (b < 0 || b - a > max) {
            return "";
        }
        return s.substring(a, b);
    }

    /** Escaped and truncated text for an event's detail. */
    static String detail(String s) {
        return LogSafe.escape(s, DETAIL_MAX);
    }
}
