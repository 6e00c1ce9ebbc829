package org.postwarden.config;

import org.junit.jupiter.api.Test;
import org.postwarden.config.load.ConfigLoader;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.postwarden.config.ExactErrors.assertExactly;

/**
 * The limits every listener shares (issue 18): request deadlines, budgets for buffered input, queued replies and the
 * syslog per-source cap: their defaults and the exact text of their errors.
 */
class ListenerLimitsMessagesTest {
    @Test
    void defaults() throws Exception {
        PostwardenConfig c = ConfigLoader.load("test", "");
        assertEquals(Duration.ofSeconds(10), c.policy().requestDeadline());
        assertEquals(16L << 20, c.policy().maxBufferedBytes());
        assertEquals(64, c.policy().maxQueuedReplies());
        assertEquals(Duration.ofSeconds(30), c.milter().requestDeadline());
        assertEquals(64L << 20, c.milter().maxBufferedBytes());
        assertEquals(64, c.milter().maxQueuedReplies());
        assertEquals(20, c.ingest().syslog().maxConnectionsPerSource());
        assertEquals(Duration.ofSeconds(60), c.ingest().syslog().requestDeadline());
        assertEquals(4L << 20, c.ingest().syslog().maxBufferedBytes());
        assertEquals(8L << 20, c.authPolicy().maxBufferedBytes());
    }

    @Test
    void badValues() {
        assertExactly("""
                policy: {request-deadline: 50ms, max-buffered-bytes: 1000, max-queued-replies: 0}
                milter: {request-deadline: 2h, max-buffered-bytes: 5000000000, max-queued-replies: 100001}
                ingest:
                  syslog: {max-connections-per-source: -1, request-deadline: null, max-buffered-bytes: 100}
                auth-policy: {max-buffered-bytes: 0}
                """,
                "policy.request-deadline = \"50ms\" (line 1): a duration from 100ms to 1h",
                "policy.max-buffered-bytes = \"1000\" (line 1): a whole number of bytes from policy.max-request-bytes"
                        + " (65536: one whole request must fit) to 4294967296",
                "policy.max-queued-replies = \"0\" (line 1): a whole number from 1 to 100000",
                "milter.request-deadline = \"2h\" (line 2): a duration from 100ms to 1h",
                "milter.max-buffered-bytes = \"5000000000\" (line 2): a whole number of bytes from "
                        + "milter.max-packet-bytes (262144: one whole request must fit) to 4294967296",
                "milter.max-queued-replies = \"100001\" (line 2): a whole number from 1 to 100000",
                "ingest.syslog.max-connections-per-source = \"-1\" (line 4): a whole number from 0 to 100000",
                "ingest.syslog.request-deadline (line 4): a value (the key is missing or null)",
                "ingest.syslog.max-buffered-bytes = \"100\" (line 4): a whole number of bytes from "
                        + "ingest.syslog.max-message-bytes (8192: one whole request must fit) to 4294967296",
                "auth-policy.max-buffered-bytes = \"0\" (line 5): a whole number of bytes from "
                        + "auth-policy.max-request-bytes (16384: one whole request must fit) to 4294967296");
    }
}
