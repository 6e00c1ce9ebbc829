package org.postwarden.ingest.source;

/** Where a source delivers its lines. Called on the source's own thread (one at a time per source). */
public interface LineSink {

    /**
     * One log line (without its newline), header included.
     *
     * @param line         the text
     * @param fallbackTime epoch ms from the container runtime (Docker's {@code time}), used when the line carries no
     *                     time stamp of its own; -1 when there is none
     */
    void line(String line, long fallbackTime);

    /** A line that was refused before parsing: {@code too-long} or {@code malformed}. */
    default void rejected(String reason) {
    }
}
