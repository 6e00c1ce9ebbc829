package org.postwarden.transport;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;
import org.postwarden.metrics.PostwardenMetrics;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConnectionLimitTest {
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    final PostwardenMetrics metrics = new PostwardenMetrics(registry);

    /** Remembers whether channelActive got past the limit. */
    static final class Behind extends ChannelInboundHandlerAdapter {
        boolean active;

        @Override
        public void channelActive(ChannelHandlerContext ctx) throws Exception {
            active = true;
            super.channelActive(ctx);
        }
    }

    double counter(String name, String... tags) {
        var c = registry.find(name).tags(tags).counter();
        return c == null ? 0 : c.count();
    }

    @Test
    void connectionsBeyondTheLimitAreClosedBeforeTheProtocolSeesThem() {
        ConnectionLimit limit = ConnectionLimit.forListener("policy", 2, metrics);
        try (LogCapture log = new LogCapture(ConnectionLimit.class)) {
            Behind b1 = new Behind();
            Behind b2 = new Behind();
            Behind b3 = new Behind();
            EmbeddedChannel one = new EmbeddedChannel(limit, b1);
            EmbeddedChannel two = new EmbeddedChannel(limit, b2);
            EmbeddedChannel three = new EmbeddedChannel(limit, b3);
            assertTrue(one.isOpen() && two.isOpen());
            assertTrue(b1.active && b2.active);
            assertFalse(three.isOpen(), "the third is closed");
            assertFalse(b3.active, "and its channelActive goes no further");
            assertEquals(List.of("WARN policy: refusing connection from embedded: 2 concurrent connections is the "
                    + "limit"), log.lines());
        }
        assertEquals(3.0, counter("postwarden.connections", "listener", "policy"), "refused ones are counted too");
        assertEquals(1.0, counter("postwarden.protocol.errors", "listener", "policy", "reason",
                "too-many-connections"));
        assertEquals(2, limit.active());
    }

    @Test
    void aClosedConnectionMakesRoomForTheNext() {
        ConnectionLimit limit = ConnectionLimit.forListener("milter", 1, metrics);
        EmbeddedChannel one = new EmbeddedChannel(limit);
        assertFalse(new EmbeddedChannel(limit).isOpen());
        assertEquals(1, limit.active());
        one.close();
        assertEquals(0, limit.active());
        EmbeddedChannel next = new EmbeddedChannel(limit);
        assertTrue(next.isOpen());
        assertEquals(1, limit.active());
        assertEquals(1.0, counter("postwarden.protocol.errors", "listener", "milter", "reason",
                "too-many-connections"));
        next.close();
    }

    @Test
    void aListenerMayCountAndLogRefusalsItsOwnWay() {
        List<String> seen = new ArrayList<>();
        ConnectionLimit limit = new ConnectionLimit(1, new ConnectionLimit.Events() {
            @Override
            public void opened(Channel channel) {
                seen.add("opened");
            }

            @Override
            public void refused(Channel channel, int max) {
                seen.add("refused at " + max);
            }
        });
        EmbeddedChannel one = new EmbeddedChannel(limit);
        EmbeddedChannel two = new EmbeddedChannel(limit);
        assertFalse(two.isOpen());
        assertEquals(List.of("opened", "opened", "refused at 1"), seen);
        assertEquals(0, registry.getMeters().size(), "no shared metric unless the listener counts one");
        one.close();
    }

    @Test
    void aLimitBelowOneIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> ConnectionLimit.forListener("policy", 0, metrics));
    }
}
