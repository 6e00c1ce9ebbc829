package org.postwarden.config.load;

import java.time.Duration;

/**
 * The limits every listener shares: the deadline to finish a request once started ({@code <section>.request-deadline}),
 * the budget for buffered input over all connections ({@code <section>.max-buffered-bytes}, which must hold at least
 * one whole request) and the replies queued for one client ({@code <section>.max-queued-replies}).
 */
final class Limits {
    /** The widest budget: 4 GiB, more than any heap this daemon is given. */
    static final long MAX_BUFFERED = 1L << 32;

    private Limits() {
    }

    /** {@code request-deadline} and {@code max-buffered-bytes} of {@code section}. */
    static void listener(String section, Duration deadline, long maxBuffered, long oneRequest, String oneRequestKey,
            Problems p) {
        p.duration(section + ".request-deadline", deadline, Duration.ofMillis(100), Duration.ofHours(1));
        buffered(section + ".max-buffered-bytes", maxBuffered, oneRequest, oneRequestKey, p);
    }

    /** A budget for buffered input: from one request ({@code oneRequestKey}) to {@link #MAX_BUFFERED}. */
    static void buffered(String key, long maxBuffered, long oneRequest, String oneRequestKey, Problems p) {
        if (maxBuffered < oneRequest || maxBuffered > MAX_BUFFERED) {
            p.fail(key, maxBuffered, "a whole number of bytes from " + oneRequestKey + " (" + oneRequest + ": one "
                    + "whole request must fit) to " + MAX_BUFFERED);
        }
    }

    static void queuedReplies(String key, int max, Problems p) {
        p.wholeNumber(key, max, 1, 100_000);
    }
}
