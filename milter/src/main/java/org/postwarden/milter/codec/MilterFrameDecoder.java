package org.postwarden.milter.codec;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import org.postwarden.transport.ProtocolException;

import java.util.List;

/**
 * Splits the stream into milter packets: a 4-byte big-endian length, then that many bytes (command byte and
 * payload). Emits each packet without its length prefix, as a retained slice, for jmilter's
 * {@code MilterPacketDecoder}.
 *
 * <p>This is the bounded framer jmilter lacks (its {@code Int32LenFrameDecoder} accepts any length up to 2 GiB and
 * buffers until it arrives). A length above {@code maxPacketBytes} or below 1 (every packet has a command byte;
 * jmilter's packet decoder would fail on an empty one) throws a {@link ProtocolException} as soon as the four
 * length bytes are in, before any of the payload is buffered; everything after it is discarded. One per channel.
 */
public final class MilterFrameDecoder extends ByteToMessageDecoder {
    private final int maxPacketBytes;
    private boolean failed;

    public MilterFrameDecoder(int maxPacketBytes) {
        if (maxPacketBytes < 1) {
            throw new IllegalArgumentException("maxPacketBytes: " + maxPacketBytes + " (expected: >= 1)");
        }
        this.maxPacketBytes = maxPacketBytes;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (failed) {
            in.skipBytes(in.readableBytes());
            return;
        }
        if (in.readableBytes() < 4) {
            return;
        }
        long length = in.getUnsignedInt(in.readerIndex());
        if (length > maxPacketBytes) {
            throw fail(in, "packet-too-large", "packet length " + length + " exceeds " + maxPacketBytes + " bytes");
        }
        if (length < 1) {
            throw fail(in, "empty-packet", "packet length 0 (a packet holds at least a command byte)");
        }
        if (in.readableBytes() < 4 + length) {
            return;
        }
        in.skipBytes(4);
        out.add(in.readRetainedSlice((int) length));
    }

    private ProtocolException fail(ByteBuf in, String reason, String message) {
        failed = true;
        ProtocolException e = new ProtocolException(reason, message, in, in.readerIndex(),
                Math.min(in.readableBytes(), 16), MilterWire.SAMPLE);
        in.skipBytes(in.readableBytes());
        return e;
    }
}
