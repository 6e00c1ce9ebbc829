package org.postwarden.app;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * What a handler of the HTTP listener answers: a status, a content type, a body and extra headers; or, for a
 * Server-Sent Events stream, a {@code stream} that is handed the open connection once the headers are out.
 *
 * @param status  HTTP status
 * @param type    the {@code Content-Type}
 * @param body    the body (ignored for a stream)
 * @param headers extra headers, in order
 * @param close   whether to close the connection after the answer
 * @param stream  null, or what feeds a streamed body (see {@link EventSink})
 */
record HttpAnswer(int status, String type, byte[] body, Map<String, String> headers, boolean close,
        Consumer<EventSink> stream) {

    static HttpAnswer text(int status, String body) {
        return new HttpAnswer(status, "text/plain; charset=utf-8", body.getBytes(StandardCharsets.UTF_8),
                new LinkedHashMap<>(), false, null);
    }

    static HttpAnswer of(int status, String type, byte[] body) {
        return new HttpAnswer(status, type, body, new LinkedHashMap<>(), false, null);
    }

    /** This answer with header {@code name} set (the map is this answer's own: handlers build answers alone). */
    HttpAnswer with(String name, String value) {
        headers.put(name, value);
        return this;
    }

    HttpAnswer closing() {
        return new HttpAnswer(status, type, body, headers, true, stream);
    }

    /** An open streamed body: text written as it comes, dropped while the client does not keep up. */
    interface EventSink {
        /** Sends {@code text} now; false when it was dropped (client not reading) or the connection is closed. */
        boolean send(String text);

        /** Whether the connection is still open. */
        boolean open();

        /** Runs {@code r} once when the connection closes. */
        void onClose(Runnable r);
    }
}
