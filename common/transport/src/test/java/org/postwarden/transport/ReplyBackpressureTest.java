package org.postwarden.transport;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelOption;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReplyBackpressureTest {
    final QueuedReplies shared = new QueuedReplies("policy");
    final Errors end = new Errors();

    EmbeddedChannel channel(ReplyBackpressure bp) {
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.config().setOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(8, 32));
        ch.pipeline().addLast(bp, end);
        return ch;
    }

    @Test
    void readingStopsWhileRepliesPileUpAndGoesOnOnceTheyAreTaken() {
        ReplyBackpressure bp = new ReplyBackpressure(3, "policy.max-queued-replies", shared);
        EmbeddedChannel ch = channel(bp);
        assertTrue(bp.accept());
        assertTrue(bp.accept());
        assertEquals(2, bp.queued());
        assertTrue(ch.config().isAutoRead(), "two of three");
        bp.answered();
        ch.write(Unpooled.wrappedBuffer(new byte[5])); // written, not yet taken by the socket (no flush)
        assertEquals(2, bp.queued(), "an answer not yet taken by the socket is still queued");
        assertTrue(bp.accept());
        assertFalse(ch.config().isAutoRead(), "three queued: nothing more is read");
        assertEquals(3, shared.replies());
        assertEquals(5, shared.bytes());
        ch.flush();
        bp.answered();
        bp.answered();
        assertEquals(0, bp.queued());
        assertEquals(0, shared.replies());
        assertEquals(0, shared.bytes());
        assertTrue(ch.config().isAutoRead(), "drained: reading again");
        assertTrue(ch.isOpen());
        assertEquals(3, shared.peakReplies());
        ch.finishAndReleaseAll();
    }

    @Test
    void anUnwritableChannelIsNotRead() {
        ReplyBackpressure bp = new ReplyBackpressure(100, "milter.max-queued-replies", shared);
        EmbeddedChannel ch = channel(bp);
        ch.write(Unpooled.wrappedBuffer(new byte[40]));
        assertFalse(ch.isWritable(), "over the high water mark");
        assertFalse(ch.config().isAutoRead(), "a client that does not read its replies is not read either");
        ch.flush();
        assertTrue(ch.isWritable());
        assertTrue(ch.config().isAutoRead());
        assertEquals(40, shared.peakBytes());
        ch.finishAndReleaseAll();
    }

    @Test
    void aClientPushingPastTheCapIsCutOff() {
        ReplyBackpressure bp = new ReplyBackpressure(3, "policy.max-queued-replies", shared);
        EmbeddedChannel ch = channel(bp);
        for (int i = 0; i < 3; i++) {
            assertTrue(bp.accept());
        }
        assertFalse(bp.accept(), "the fourth is one too many");
        assertFalse(bp.accept(), "and so is everything after it");
        assertTrue(bp.cutOff());
        assertFalse(ch.isOpen());
        assertEquals("too-many-queued-replies", end.reasons());
        assertEquals("more than 3 replies queued for a client that does not read them (policy.max-queued-replies)",
                end.caught.get(0).getMessage());
        assertEquals(4, shared.peakReplies(), "counted up to the one that crossed, no further");
        assertEquals(0, shared.replies(), "the closed connection's unanswered requests are given back");
        ch.finishAndReleaseAll();
    }

    @Test
    void unflushedWritesCountTowardsTheCap() {
        ReplyBackpressure bp = new ReplyBackpressure(2, "milter.max-queued-replies", shared);
        EmbeddedChannel ch = channel(bp);
        ch.write(Unpooled.wrappedBuffer(new byte[1]));
        ch.write(Unpooled.wrappedBuffer(new byte[1]));
        assertTrue(ch.isOpen());
        ch.write(Unpooled.wrappedBuffer(new byte[1]));
        assertFalse(ch.isOpen(), "a third reply the client has not taken");
        assertEquals(0, shared.replies(), "the closed connection's writes failed and were given back");
        ch.finishAndReleaseAll();
    }

    @Test
    void aCapBelowOneIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new ReplyBackpressure(0, "x", shared));
    }
}
