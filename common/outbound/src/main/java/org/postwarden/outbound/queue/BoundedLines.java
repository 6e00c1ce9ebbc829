package org.postwarden.outbound.queue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * Splits a byte stream into lines ({@code \n}, an optional {@code \r} before it is dropped) and never keeps more
 * than {@code maxLineBytes} of a line: a longer line keeps its first {@code maxLineBytes} bytes and is flagged
 * {@link #tooLong()}, the rest of it is read and dropped. Not thread-safe: one reader per stream.
 */
final class BoundedLines {
    private final InputStream in;
    private final int maxLineBytes;
    private final byte[] chunk = new byte[16 * 1024];
    private int chunkPos;
    private int chunkEnd;
    private byte[] line = new byte[512];
    private int length;
    private boolean tooLong;

    BoundedLines(InputStream in, int maxLineBytes) {
        if (maxLineBytes < 1) {
            throw new IllegalArgumentException("maxLineBytes: " + maxLineBytes + " (expected: at least 1)");
        }
        this.in = in;
        this.maxLineBytes = maxLineBytes;
    }

    /** Reads the next line; false at the end of the input (a last line without {@code \n} still counts). */
    boolean next() throws IOException {
        length = 0;
        tooLong = false;
        boolean any = false;
        while (true) {
            if (chunkPos == chunkEnd) {
                int n = in.read(chunk);
                if (n < 0) {
                    return any;
                }
                chunkPos = 0;
                chunkEnd = n;
                continue;
            }
            any = true;
            int newline = -1;
            for (int i = chunkPos; i < chunkEnd; i++) {
                if (chunk[i] == '\n') {
                    newline = i;
                    break;
                }
            }
            int stop = newline < 0 ? chunkEnd : newline;
            append(chunkPos, stop - chunkPos);
            chunkPos = newline < 0 ? chunkEnd : newline + 1;
            if (newline >= 0) {
                if (length > 0 && line[length - 1] == '\r' && !tooLong) {
                    length--;
                }
                return true;
            }
        }
    }

    private void append(int from, int n) {
        int room = maxLineBytes - length;
        if (n > room) {
            tooLong = true;
            n = room;
        }
        if (n <= 0) {
            return;
        }
        if (length + n > line.length) {
            byte[] bigger = new byte[Math.min(maxLineBytes, Math.max(line.length * 2, length + n))];
            System.arraycopy(line, 0, bigger, 0, length);
            line = bigger;
        }
        System.arraycopy(chunk, from, line, length, n);
        length += n;
    }

    /** The current line's bytes: {@code bytes()[0 .. length())}; overwritten by the next {@link #next()}. */
    byte[] bytes() {
        return line;
    }

    int length() {
        return length;
    }

    /** The current line was longer than the limit (only its beginning is kept). */
    boolean tooLong() {
        return tooLong;
    }

    /** True when the current line holds nothing but spaces and tabs (or nothing). */
    boolean blank() {
        for (int i = 0; i < length; i++) {
            if (line[i] != ' ' && line[i] != '\t') {
                return false;
            }
        }
        return !tooLong;
    }

    /** The kept part of the current line, decoded as UTF-8 (bad bytes become U+FFFD). */
    String text() {
        return new String(line, 0, length, StandardCharsets.UTF_8);
    }
}
