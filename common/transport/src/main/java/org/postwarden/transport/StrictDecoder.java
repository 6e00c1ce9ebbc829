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
 * about is its own ({@link #decodeStrictly}); that nothing is decoded after an error is this class's.
 *
 * <p>When the pipeline holds a {@link RequestDeadline} (in front of this decoder), every decoding pass reports to
 * it what this connection holds of an unfinished request: the undecoded bytes plus {@link #heldBytes()}, and whether
 * the pass completed a request. That starts and ends the request's deadline and charges the listener's
 * {@link InputBudget}; a holding the budget refuses fails this decoder like bad input. One instance per connection.
 */
public abstract class StrictDecoder extends ByteToMessageDecoder {
    private boolean failed;
    private boolean looked;
    private RequestDeadline deadline;

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) throws Exception {
        find(ctx);
        super.handlerAdded(ctx);
    }

    private void find(ChannelHandlerContext ctx) {
        if (!looked) {
            looked = true;
            deadline = ctx.pipeline().get(RequestDeadline.class);
            if (deadline != null) {
                deadline.exact();
            }
        }
    }

    @Override
    protected final void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (failed) {
            in.skipBytes(in.readableBytes());
            return;
        }
        find(ctx);
        int before = out.size();
        try {
            decodeStrictly(ctx, in, out);
            if (deadline != null) {
                deadline.held(in.readableBytes() + heldBytes(), out.size() > before);
            }
        } catch (DecoderException e) {
            failed = true;
            in.skipBytes(in.readableBytes());
            if (deadline != null) {
                deadline.complete();
            }
            throw e;
        }
    }

    /**
     * Bytes of the unfinished request that this decoder keeps beyond its undecoded input (e.g. the lines of a policy
     * request already decoded, before its empty line); 0 by default.
     */
    protected long heldBytes() {
        return 0;
    }

    /**
     * Decodes what {@code in} holds, as {@link ByteToMessageDecoder#decode} does; throws a {@link DecoderException}
     * (typically a {@link ProtocolException}, whose sample is read from {@code in} before it is discarded) for
     * input the protocol does not allow.
     */
    protected abstract void decodeStrictly(ChannelHandlerContext ctx, ByteBuf in, List<Object> out);
}
