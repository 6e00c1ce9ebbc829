package org.postwarden.ingest.source;

import java.nio.charset.StandardCharsets;

/**
 * Cuts a byte stream into lines at {@code \n} (a trailing {@code \r} is dropped), with a hard bound: a line longer
 * than {@code maxLineLength} bytes is never buffered whole; it is skipped up to its newline and reported once as
 * {@code too-long}. Bytes are decoded as UTF-8 (malformed sequences become U+FFFD). Keeps count of the bytes consumed
 * through the last newline, which is where a reader resumes. Not thread-safe (one per stream).
 */
public final class LineSplitter {
    /** Receives complete lines. */
    public interface Lines {
        void line(String line);

        void tooLong();
    }

    private final int max;
    private final Lines out;
    private final byte[] carry;
    private int carried;
    private boolean skipping;
    private long consumed;
    /** Bytes since the last newline (buffered or being skipped). */
    private long pending;

    public LineSplitter(int maxLineLength, Lines out) {
        this.max = maxLineLength;
        this.out = out;
        this.carry = new byte[maxLineLength + 1];
    }

    /** Bytes consumed through the last newline since creation or {@link #reset()}. */
    public long consumed() {
        return consumed;
    }

    /** Forgets a partial line and the consumed count. */
    public void reset() {
        carried = 0;
        skipping = false;
        consumed = 0;
        pending = 0;
    }

    /** Feeds {@code len} bytes. */
    public void feed(byte[] b, int off, int len) {
        int end = off + len;
        int start = off;
        for (int i = off; i < end; i++) {
            if (b[i] != '\n') {
                continue;
            }
            int n = i - start;
            if (skipping) {
                skipping = false;
                carried = 0;
            } else if (carried + n > max) {
                carried = 0;
                out.tooLong();
            } else if (carried > 0) {
                System.arraycopy(b, start, carry, carried, n);
                emit(carry, 0, carried + n);
                carried = 0;
            } else {
                emit(b, start, n);
            }
            consumed += pending + (i + 1 - start);
            pending = 0;
            start = i + 1;
        }
        int rest = end - start;
        if (rest == 0) {
            return;
        }
        pending += rest;
        if (skipping) {
            return;
        }
        if (carried + rest > max) {
            skipping = true;
            carried = 0;
            out.tooLong();
            return;
        }
        System.arraycopy(b, start, carry, carried, rest);
        carried += rest;
    }

    /** Delivers a last line that has no newline (end of a rotated file or of a replayed file). */
    public void flush() {
        if (!skipping && carried > 0) {
            emit(carry, 0, carried);
            consumed += pending;
        }
        carried = 0;
        pending = 0;
        skipping = false;
    }

    private void emit(byte[] b, int off, int len) {
        if (len > 0 && b[off + len - 1] == '\r') {
            len--;
        }
        out.line(new String(b, off, len, StandardCharsets.UTF_8));
    }
}
