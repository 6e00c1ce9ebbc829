package org.postwarden.runtime;

import java.io.IOException;
import java.net.BindException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.util.Locale;

/**
 * Why the daemon cannot start, in one line that names the configuration key and its value:
 * {@code policy.listen 127.0.0.1:10033: address already in use}. {@code postwarden run} prints the message alone
 * and exits non-zero; the stack trace goes to the log at DEBUG only.
 */
public final class StartupFailure extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    /** {@code key value: problem}, with {@code cause} kept for the DEBUG log. */
    public StartupFailure(String key, String value, String problem, Throwable cause) {
        super(key + " " + value + ": " + problem, cause);
    }

    /** A failure of {@code key} = {@code value} caused by {@code cause}, described by {@link #reason}. */
    public static StartupFailure of(String key, String value, Throwable cause) {
        return cause instanceof StartupFailure s ? s : new StartupFailure(key, value, reason(cause), cause);
    }

    /**
     * A short, lower-case description of an I/O or bind failure, without class names: {@code address already in
     * use}, {@code permission denied}, {@code no such file or directory}, {@code is a directory}.
     */
    public static String reason(Throwable t) {
        if (t instanceof BindException b) {
            String m = lower(b.getMessage());
            if (m.startsWith("cannot assign requested address")) {
                return "cannot assign requested address (not an address of this host)";
            }
            return m.isEmpty() ? "cannot bind" : m;
        }
        if (t instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (t instanceof NoSuchFileException) {
            return "no such file or directory";
        }
        if (t instanceof NotDirectoryException) {
            return "not a directory";
        }
        if (t instanceof FileSystemException f && f.getReason() != null) {
            return lower(f.getReason());
        }
        if (t instanceof IOException && t.getMessage() != null) {
            return lower(t.getMessage());
        }
        if (t != null && t.getCause() != null && t.getCause() != t) {
            return reason(t.getCause());
        }
        return t == null ? "unknown error" : t.getMessage() == null ? t.getClass().getSimpleName() : oneLine(t.getMessage());
    }

    /** The one line {@code postwarden run} prints for {@code t}: a start-up failure's message, else its reason. */
    public static String describe(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof StartupFailure) {
                return oneLine(c.getMessage());
            }
        }
        if (t instanceof IllegalStateException || t instanceof IllegalArgumentException) {
            return t.getMessage() == null ? reason(t.getCause()) : oneLine(t.getMessage());
        }
        return reason(t);
    }

    private static String lower(String m) {
        if (m == null || m.isEmpty()) {
            return "";
        }
        String s = oneLine(m);
        return s.length() > 1 && Character.isUpperCase(s.charAt(0)) && !Character.isUpperCase(s.charAt(1))
                ? s.substring(0, 1).toLowerCase(Locale.ROOT) + s.substring(1) : s;
    }

    private static String oneLine(String m) {
        return m.replace('\n', ' ').replace('\r', ' ').strip();
    }
}
