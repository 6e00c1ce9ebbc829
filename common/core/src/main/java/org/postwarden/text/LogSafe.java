package org.postwarden.text;

/**
 * Escapes and truncates client-supplied text before it reaches a log line or a reply (like Postfix's
 * {@code escape()} and {@code %.100s}): control and non-ASCII characters become {@code \xHH}, and anything past
 * {@code max} characters is cut with an ellipsis.
 */
public final class LogSafe {
    private LogSafe() {
    }

    public static String escape(CharSequence s, int max) {
        return escape(s, max, false);
    }

    /**
     * Like {@link #escape}, but only control characters (below U+0020, and U+007F) become {@code \xHH}: other text,
     * non-ASCII and backslashes included, is kept as it is (for UTF-8 text meant for humans, such as a mail body).
     */
    public static String escapeControls(CharSequence s, int max) {
        return escape(s, max, true);
    }

    private static String escape(CharSequence s, int max, boolean keepText) {
        if (s == null) {
            return "";
        }
        StringBuilder sb = new StringBuilder(Math.min(s.length(), max) + 8);
        for (int i = 0; i < s.length(); i++) {
            if (sb.length() >= max) {
                sb.append("...");
                break;
            }
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7F || c > 0x7E && !keepText) {
                sb.append(String.format("\\x%02X", (int) c & 0xFF));
            } else if (c == '\\' && !keepText) {
                sb.append("\\\\");
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }
}
