package org.postwarden.authpolicy.codec;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import org.postwarden.transport.ProtocolException;

/**
 * Netty's HTTP aggregation with a hard body limit whose violation is a protocol error of this listener
 * ({@link HttpProblems#TOO_LARGE}: answered 413, counted, logged, closed) instead of Netty's own reply. One per
 * connection.
 */
public final class BoundedAggregator extends HttpObjectAggregator {
    private final int max;

    public BoundedAggregator(int maxBytes) {
        super(maxBytes);
        this.max = maxBytes;
    }

    @Override
    protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
        ctx.fireExceptionCaught(new ProtocolException(HttpProblems.TOO_LARGE, "request body over " + max
                + " bytes (auth-policy.max-request-bytes)"));
    }
}
