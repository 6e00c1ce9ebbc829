package org.postwarden.transport;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.ByteToMessageDecoder;
import org.junit.jupiter.api.Test;
import org.postwarden.metrics.PostwardenMetrics;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConnectionErrorsTest {
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    final ConnectionErrors errors = new ConnectionErrors("policy", new PostwardenMetrics(registry));

    /** A decoder that refuses its input, and discards it, as the listeners' decoders do. */
    static final class Refusing extends ByteToMessageDecoder {
        @Override
        protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
            ProtocolException e = new ProtocolException("malformed-line", "line is not name=value", in,
                    in.readerIndex(), in.readableBytes(), 100);
            in.skipBytes(in.readableBytes());
            throw e;
        }
    }

    /** The end of a pipeline: hands every exception to {@link #errors}. */
    final class End extends ChannelInboundHandlerAdapter {
        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            errors.close(ctx, cause);
        }
    }

    double protocolErrors(String reason) {
        var c = registry.find("postwarden.protocol.errors").tags("listener", "policy", "reason", reason).counter();
        return c == null ? 0 : c.count();
    }

    @Test
    void aProtocolErrorFromADecoderIsCountedLoggedWithItsSampleAndClosesTheConnection() {
        try (LogCapture log = new LogCapture(ConnectionErrors.class)) {
            EmbeddedChannel ch = new EmbeddedChannel(new Refusing(), new End());
            ch.writeInbound(Unpooled.copiedBuffer("GET / HTTP/1.1\r\n", StandardCharsets.US_ASCII));
            assertFalse(ch.isOpen());
            assertEquals(1.0, protocolErrors("malformed-line"));
            assertEquals(List.of("WARN closing policy connection from embedded: line is not name=value "
                    + "(sample: \"GET / HTTP/1.1\\x0D\\x0A\")"), log.lines());
        }
    }

    @Test
    void aProtocolErrorWrappedOnceIsUnwrapped() {
        EmbeddedChannel ch = new EmbeddedChannel(new End());
        ch.pipeline().fireExceptionCaught(new io.netty.handler.codec.DecoderException(
                new ProtocolException("pipelined", "rcpt while mail still waits for its reply")));
        assertFalse(ch.isOpen());
        assertEquals(1.0, protocolErrors("pipelined"));
    }

    @Test
    void aPeerThatWentAwayIsOnlyADebugLine() {
        try (LogCapture log = new LogCapture(ConnectionErrors.class)) {
            EmbeddedChannel ch = new EmbeddedChannel(new End());
            ch.pipeline().fireExceptionCaught(new IOException("Connection reset by peer"));
            assertFalse(ch.isOpen());
            assertEquals(0, registry.getMeters().size(), "not counted");
            assertEquals(List.of("DEBUG policy connection from embedded failed: java.io.IOException: Connection "
                    + "reset by peer"), log.lines());
        }
    }

    @Test
    void anythingElseIsAnInternalErrorWithItsStackTrace() {
        try (LogCapture log = new LogCapture(ConnectionErrors.class)) {
            EmbeddedChannel ch = new EmbeddedChannel(new End());
            ch.pipeline().fireExceptionCaught(new IllegalStateException("bug"));
            assertFalse(ch.isOpen());
            assertEquals(1.0, protocolErrors("internal"));
            assertEquals(List.of("ERROR closing policy connection from embedded after an internal error"),
                    log.lines());
            assertTrue(log.lastHasThrowable());
        }
    }
}
