package org.postwarden.transport;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IdleCloseTest {

    static EmbeddedChannel channel(String what, Duration timeout) {
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.freezeTime();
        ch.pipeline().addLast("idle", new IdleClose(what, timeout));
        return ch;
    }

    @Test
    void anIdleConnectionIsClosedWithADebugLine() {
        try (LogCapture log = new LogCapture(IdleClose.class)) {
            EmbeddedChannel ch = channel("milter", Duration.ofSeconds(600));
            ch.advanceTimeBy(599, TimeUnit.SECONDS);
            ch.runScheduledPendingTasks();
            assertTrue(ch.isOpen(), "not yet");
            ch.advanceTimeBy(1, TimeUnit.SECONDS);
            ch.runScheduledPendingTasks();
            assertFalse(ch.isOpen(), "idle for the whole timeout");
            assertEquals(List.of("DEBUG closing idle milter connection from embedded"), log.lines());
        }
    }

    @Test
    void readingOrWritingKeepsItOpen() {
        EmbeddedChannel ch = channel("syslog TCP", Duration.ofSeconds(10));
        ch.advanceTimeBy(8, TimeUnit.SECONDS);
        ch.runScheduledPendingTasks();
        ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {'x'}));
        ch.advanceTimeBy(8, TimeUnit.SECONDS);
        ch.runScheduledPendingTasks();
        assertTrue(ch.isOpen(), "a read 8 s ago");
        ch.writeOutbound(Unpooled.wrappedBuffer(new byte[] {'y'}));
        ch.advanceTimeBy(8, TimeUnit.SECONDS);
        ch.runScheduledPendingTasks();
        assertTrue(ch.isOpen(), "a write 8 s ago");
        ch.advanceTimeBy(2, TimeUnit.SECONDS);
        ch.runScheduledPendingTasks();
        assertFalse(ch.isOpen());
        ch.finishAndReleaseAll();
    }

    @Test
    void aTimeoutOfZeroIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new IdleClose("policy", Duration.ZERO));
    }
}
