package org.postwarden.app;

import io.netty.handler.codec.http.HttpHeaders;

import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * One complete HTTP request as the HTTP listener's handlers see it: read whole (bounded by the aggregator) before a
 * handler runs, so a handler never waits for a client. Immutable but for the headers, which nobody changes.
 *
 * @param method   request method, e.g. {@code GET}
 * @param path     the decoded path, e.g. {@code /admin/status}
 * @param rawQuery the query string as sent (still percent-encoded), or null
 * @param headers  the request headers
 * @param remote   the client's address
 * @param body     the request body (empty for none)
 */
record HttpCall(String method, String path, String rawQuery, HttpHeaders headers, InetSocketAddress remote,
        byte[] body) {

    /** The first value of header {@code name}, or null. */
    String header(String name) {
        return headers.get(name);
    }

    /** The client's IP address, or null. */
    InetAddress client() {
        return remote == null ? null : remote.getAddress();
    }
}
