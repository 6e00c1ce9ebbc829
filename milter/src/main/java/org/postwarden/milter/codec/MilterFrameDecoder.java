package org.postwarden.milter.codec;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import org.postwarden.transport.ProtocolException;
import org.postwarden.transport.StrictDecoder;

import java.util.List;

/**
 * Splits the stream into milter packets: a 4-byte big-endian length, then that many bytes (command byte and
 * payload). Emits each packet without its length prefix, as a retained slice, for jmilter's
 * {@code MilterPacketDecoder}.
 *
 * <p>This is the bounded framer jmilter lacks (its {@code Int32LenFrameDecoder} accepts any length up to 2 GiB and
 * buffers until it arrives). A length above {@code maxPacketBytes} or below 1 (every packet has a command byte;
 * jmilter's packet decoder would fail on an empty one) throws a {@link ProtocolException} as soon as the four
 * length bytes are in, before any of the payload is buffered; everything after it is discarded
 * ({@link StrictDecoder}). One per channel.
 */
public final class MilterFrameDecoder extends StrictDecoder {
    private final int maxPacketBytes;

    public MilterFrameDecoder(int maxPacketBytes) {
        if (maxPacketBytes < 1) {
            throw new IllegalArgumentException("maxPacketBytes: " + maxPacketBytes + " (expected: >= 1)");
        }
        this.maxPacketBytes = maxPacketBytes;
    }

    @Override
    protected void decodeStrictly(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
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

    private static ProtocolException fail(ByteBuf in, String reason, String message) {
        return new ProtocolException(reason, message, in, in.readerIndex(), Math.min(in.readableBytes(), 16),
                MilterWire.SAMPLE);
    }
}
