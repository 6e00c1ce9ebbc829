package org.postwarden.transport;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.DecoderException;

import java.util.List;

/**
 * A decoder that stops at the first input it refuses: the {@link DecoderException} it throws (a
 * {@link ProtocolException}, or a framing error) goes down the pipeline once, whose end closes the connection, and
 * every byte after it, already buffered or still to come, is discarded unread. What a listener's codec is strict
 * about is its own ({@link #decodeStrictly}); that nothing is decoded after an error is this class's. One instance
 * per connection.
 */
public abstract class StrictDecoder extends ByteToMessageDecoder {
    private boolean failed;

    @Override
    protected final void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (failed) {
            in.skipBytes(in.readableBytes());
            return;
        }
        try {
            decodeStrictly(ctx, in, out);
        } catch (DecoderException e) {
            failed = true;
            in.skipBytes(in.readableBytes());
            throw e;
        }
    }

    /**
     * Decodes what {@code in} holds, as {@link ByteToMessageDecoder#decode} does; throws a {@link DecoderException}
     * (typically a {@link ProtocolException}, whose sample is read from {@code in} before it is discarded) for
     * input the protocol does not allow.
     */
    protected abstract void decodeStrictly(ChannelHandlerContext ctx, ByteBuf in, List<Object> out);
}
