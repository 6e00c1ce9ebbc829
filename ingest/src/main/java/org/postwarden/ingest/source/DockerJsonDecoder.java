package org.postwarden.ingest.source;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import org.postwarden.ingest.parse.Timestamps;

import java.io.IOException;
import java.time.ZoneOffset;

/**
 * Decodes Docker's json-file log lines, {@code {"log":"text\n","stream":"stdout","time":"2025-11-22T10:00:01.5Z"}},
 * into the text and its time. Docker splits lines longer than 16 KiB into several entries whose {@code log} does
 * not end in a newline; they are joined here, up to the line limit (a longer line is dropped). Streaming parser, no
 * object mapping. Not thread-safe (one per file).
 */
public final class DockerJsonDecoder {
    private static final JsonFactory JSON = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(4).maxStringLength(1 << 20).build())
            .build();
    private final int maxLineLength;
    private final Timestamps times = new Timestamps(ZoneOffset.UTC, () -> 0);
    private final StringBuilder partial = new StringBuilder();
    private boolean dropping;
    private long time = -1;

    public DockerJsonDecoder(int maxLineLength) {
        this.maxLineLength = maxLineLength;
    }

    /** What a JSON line held. */
    public enum Result { LINE, PARTIAL, MALFORMED, TOO_LONG }

    private String line;

    /** The text of the last {@link Result#LINE}. */
    public String line() {
        return line;
    }

    /** Docker's time of the last {@link Result#LINE} (epoch ms), or -1. */
    public long time() {
        return time;
    }

    /** Decodes one JSON line. */
    public Result decode(String json) {
        String log = null;
        String stamp = null;
        try (JsonParser p = JSON.createParser(json)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return Result.MALFORMED;
            }
            JsonToken t;
            while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken v = p.nextToken();
                if ("log".equals(name) && v == JsonToken.VALUE_STRING) {
                    log = p.getText();
                } else if ("time".equals(name) && v == JsonToken.VALUE_STRING) {
                    stamp = p.getText();
                } else {
                    p.skipChildren();
                }
            }
            if (t != JsonToken.END_OBJECT || log == null) {
                return Result.MALFORMED;
            }
        } catch (IOException | RuntimeException e) {
            return Result.MALFORMED;
        }
        boolean complete = log.endsWith("\n");
        String piece = complete ? log.substring(0, log.length() - 1) : log;
        if (dropping) {
            dropping = !complete;
            return Result.PARTIAL;
        }
        if (partial.length() + piece.length() > maxLineLength) {
            partial.setLength(0);
            dropping = !complete;
            return Result.TOO_LONG;
        }
        if (!complete) {
            partial.append(piece);
            return Result.PARTIAL;
        }
        if (partial.length() > 0) {
            piece = partial.append(piece).toString();
            partial.setLength(0);
        }
        if (piece.endsWith("\r")) {
            piece = piece.substring(0, piece.length() - 1);
        }
        line = piece;
        time = stamp == null ? -1 : times.parse(stamp);
        return Result.LINE;
    }
}
