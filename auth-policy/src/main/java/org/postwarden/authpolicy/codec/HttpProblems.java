package org.postwarden.authpolicy.codec;

import io.netty.handler.codec.http.HttpResponseStatus;
import org.postwarden.transport.InputBudget;
import org.postwarden.transport.RequestDeadline;

/** The HTTP status answered for each protocol-error reason of the auth-policy listener before it closes. */
public final class HttpProblems {
    /** Request line or headers broken or too long, or a body that is not the JSON Dovecot sends. */
    public static final String BAD_REQUEST = "bad-request";
    /** Not {@code ?command=allow} or {@code ?command=report}. */
    public static final String BAD_COMMAND = "bad-command";
    /** Not a POST. */
    public static final String METHOD = "method";
    /** Missing or wrong API header. */
    public static final String UNAUTHORIZED = "unauthorized";
    /** Body over {@code auth-policy.max-request-bytes}. */
    public static final String TOO_LARGE = "too-large";
    /** Not complete within {@code auth-policy.request-timeout}. */
    public static final String SLOW = RequestDeadline.REASON;
    /** The unfinished requests of all connections would pass {@code auth-policy.max-buffered-bytes}. */
    public static final String BUSY = InputBudget.REASON;

    private HttpProblems() {
    }

    /** The status for {@code reason} (400 for any other). */
    public static HttpResponseStatus status(String reason) {
        return switch (reason) {
            case METHOD -> HttpResponseStatus.METHOD_NOT_ALLOWED;
            case UNAUTHORIZED -> HttpResponseStatus.UNAUTHORIZED;
            case TOO_LARGE -> HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE;
            case SLOW -> HttpResponseStatus.REQUEST_TIMEOUT;
            case BUSY -> HttpResponseStatus.SERVICE_UNAVAILABLE;
            default -> HttpResponseStatus.BAD_REQUEST;
        };
    }
}
