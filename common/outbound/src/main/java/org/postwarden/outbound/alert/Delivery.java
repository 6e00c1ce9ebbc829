package org.postwarden.outbound.alert;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * One alert on one delivery channel, as its {@link ChannelSink} prepared it: what its {@link RetryQueue} tries, and
 * tries again, until it is delivered, fails or is abandoned.
 */
interface Delivery {

    /** How many attempts it gets in all (at least 1). */
    int attempts();

    /** The wait after the first failed attempt; it doubles for each further one ({@link RetryQueue#delayMillis}). */
    Duration retryDelay();

    /**
     * Makes attempt {@code n} (from 1). Called on the alert executor; returns at once (no waiting for a peer or a
     * process) and completes, never exceptionally, when the attempt is over.
     */
    CompletableFuture<Outcome> attempt(int n);

    /** What one attempt came to: delivered, worth another attempt ({@code why} it failed), or failed for good. */
    record Outcome(Status status, String why) {
        enum Status { OK, RETRY, FAILED }

        private static final Outcome OK = new Outcome(Status.OK, "");
        private static final Outcome FAILED = new Outcome(Status.FAILED, "");

        static Outcome ok() {
            return OK;
        }

        static Outcome retry(String why) {
            return new Outcome(Status.RETRY, why);
        }

        /** Failed for good; the sink has logged why. */
        static Outcome failed() {
            return FAILED;
        }
    }
}
