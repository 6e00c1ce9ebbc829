package org.postwarden.config.load;

import org.postwarden.config.Durations;
import org.postwarden.config.PostwardenConfig;

import java.time.Duration;
import java.util.List;

/**
 * The {@code milter:} section: the milter listener, its limits and fallback answers, the report header, the
 * content fingerprint and the identical-message windows (which the store must keep long enough).
 */
final class MilterSectionValidator {
    private static final List<String> FALLBACK_ACTIONS = List.of("continue", "accept", "tempfail");
    private static final List<String> CONNECT_REFUSALS = List.of("as-decided", "tempfail", "reject");

    private MilterSectionValidator() {
    }

    /** {@code store} may be null (reported by the store check); the window check against it is then skipped. */
    static void validate(PostwardenConfig.Milter m, PostwardenConfig.Store store, Problems p) {
        p.hostPort("milter.listen", m.listen());
        p.wholeNumber("milter.max-packet-bytes", m.maxPacketBytes(), 65_536, 16 << 20);
        p.positive("milter.idle-timeout", m.idleTimeout());
        p.positive("milter.time-budget", m.timeBudget());
        p.wholeNumber("milter.max-connections", m.maxConnections(), 1, 1_000_000);
        p.wholeNumber("milter.max-concurrent-per-client", m.maxConcurrentPerClient(), 0, 100_000);
        Limits.listener("milter", m.requestDeadline(), m.maxBufferedBytes(), m.maxPacketBytes(),
                "milter.max-packet-bytes", p);
        Limits.queuedReplies("milter.max-queued-replies", m.maxQueuedReplies(), p);
        if (p.present("milter.fallback-action", m.fallbackAction())) {
            p.require("milter.fallback-action", m.fallbackAction(),
                    FALLBACK_ACTIONS.contains(m.fallbackAction().trim()), "continue, accept or tempfail; never a"
                            + " reject (a milter in trouble must not invent a verdict)");
        }
        if (p.present("milter.connect-refusal", m.connectRefusal())) {
            p.require("milter.connect-refusal", m.connectRefusal(),
                    CONNECT_REFUSALS.contains(m.connectRefusal().trim()), "as-decided, tempfail or reject");
        }
        if (p.present("milter.header", m.header())) {
            p.headerName("milter.header.name", m.header().name());
        }
        if (p.present("milter.fingerprint", m.fingerprint())) {
            p.wholeNumber("milter.fingerprint.body-prefix-bytes", m.fingerprint().bodyPrefixBytes(), 64, 65_535);
        }
        Duration longest = p.windows("milter.identical-messages", m.identicalMessages());
        if (store != null && store.idleExpiry() != null && longest.compareTo(store.idleExpiry()) > 0) {
            p.fail("milter.identical-messages", Durations.format(longest),
                    "windows no longer than store.idle-expiry (" + Durations.format(store.idleExpiry()) + ")");
        }
    }
}
