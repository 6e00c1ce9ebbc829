package org.postwarden.transport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RequestDeadlineTest {
    static final Duration DEADLINE = Duration.ofSeconds(10);

    /** One request a line; the lines before a '+' line are held as part of the request (like policy attributes). */
    static final class Lines extends StrictDecoder {
        private long held;

        @Override
        protected void decodeStrictly(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
            int nl = in.indexOf(in.readerIndex(), in.writerIndex(), (byte) '\n');
            if (nl < 0) {
                return;
            }
            String line = in.toString(in.readerIndex(), nl - in.readerIndex(), StandardCharsets.US_ASCII);
            in.readerIndex(nl + 1);
            if (line.startsWith("+")) {
                held += line.length() + 1;
                return;
            }
            held = 0;
            out.add(line);
        }

        @Override
        protected long heldBytes() {
            return held;
        }
    }

    static final class Conn {
        final EmbeddedChannel ch = new EmbeddedChannel();
        final RequestDeadline deadline;
        final Errors end = new Errors();

        Conn(InputBudget budget, boolean strict) {
            ch.freezeTime();
            deadline = new RequestDeadline(DEADLINE, "policy.request-deadline", budget);
            ch.pipeline().addLast(deadline);
            if (strict) {
                ch.pipeline().addLast(new Lines());
            }
            ch.pipeline().addLast(end);
        }

        void send(String s) {
            ch.writeInbound(Unpooled.copiedBuffer(s, StandardCharsets.US_ASCII));
        }

        void advance(long seconds) {
            ch.advanceTimeBy(seconds, TimeUnit.SECONDS);
            ch.runScheduledPendingTasks();
        }
    }

    @Test
    void anUnfinishedRequestIsClosedAtTheDeadlineOfItsFirstByteHoweverOftenBytesCome() {
        Conn c = new Conn(InputBudget.unlimited("policy"), true);
        c.send("a");
        for (int i = 0; i < 4; i++) {
            c.advance(2);
            c.send("b"); // never idle: a byte every 2 s
        }
        c.advance(1);
        assertTrue(c.ch.isOpen(), "9 s after its first byte");
        c.advance(1);
        assertFalse(c.ch.isOpen(), "10 s after its first byte");
        assertEquals("slow-request", c.end.reasons());
        assertEquals("request not complete within 10s of its first byte (policy.request-deadline)",
                c.end.caught.get(0).getMessage());
    }

    @Test
    void aCompleteRequestEndsItsDeadlineAndTheNextStartsAnew() {
        Conn c = new Conn(InputBudget.unlimited("policy"), true);
        c.send("+attr\nhal");
        c.advance(8);
        c.send("f\nnext"); // completes the first, starts the second now
        assertEquals(List.of("half"), c.end.read);
        c.advance(9);
        assertTrue(c.ch.isOpen(), "the second request is 9 s old");
        c.send("\n");
        c.advance(60);
        assertTrue(c.ch.isOpen(), "between requests only the idle timeout applies");
        assertEquals(List.of("half", "next"), c.end.read);
        c.send("+x\n");
        c.advance(10);
        assertFalse(c.ch.isOpen(), "held lines of a request are an unfinished request too");
    }

    @Test
    void theBudgetBoundsWhatAllConnectionsHoldAndRefusesTheOneThatGrowsPastIt() {
        InputBudget budget = new InputBudget("policy", 10, "policy.max-buffered-bytes");
        Conn one = new Conn(budget, true);
        Conn two = new Conn(budget, true);
        one.send("abcdef");
        assertEquals(6, budget.held());
        two.send("abcd");
        assertEquals(10, budget.held(), "full");
        two.send("e");
        assertFalse(two.ch.isOpen(), "the connection growing past the budget is refused");
        assertEquals("input-budget", two.end.reasons());
        assertEquals("buffered input of all policy connections would exceed 10 bytes (policy.max-buffered-bytes)",
                two.end.caught.get(0).getMessage());
        assertEquals(6, budget.held(), "what it held is given back");
        Conn three = new Conn(budget, true);
        three.send("0123\n");
        assertEquals(List.of("0123"), three.end.read, "a request complete in one read holds nothing: never refused");
        one.send("\n");
        assertEquals(0, budget.held(), "a completed request gives its bytes back");
        three.send("+abcdefgh\n");
        assertEquals(10, budget.held(), "held lines count");
        three.ch.close();
        assertEquals(0, budget.held(), "a closed connection gives everything back");
        assertEquals(10, budget.peak());
    }

    @Test
    void inFrontOfAnotherDecoderItCountsTheBytesSinceTheFirstUntilComplete() {
        InputBudget budget = new InputBudget("auth-policy", 8, "auth-policy.max-buffered-bytes");
        Conn c = new Conn(budget, false);
        c.send("POST ");
        assertEquals(5, budget.held());
        c.advance(5);
        c.deadline.complete();
        assertEquals(0, budget.held());
        c.advance(20);
        assertTrue(c.ch.isOpen(), "complete: no deadline");
        c.send("GET /");
        c.send("abcd");
        assertFalse(c.ch.isOpen(), "9 bytes of an unfinished request pass the budget of 8");
        assertEquals("input-budget", c.end.reasons());
        assertEquals(2, c.end.read.size(), "the refused bytes never reach the decoder");
        assertEquals(0, budget.held());
    }

    @Test
    void aDeadlineOfZeroIsRefused() {
        assertThrows(IllegalArgumentException.class,
                () -> new RequestDeadline(Duration.ZERO, "x", InputBudget.unlimited("x")));
        assertThrows(IllegalArgumentException.class, () -> new InputBudget("x", 0, "x"));
    }
}
