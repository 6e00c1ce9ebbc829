package org.postwarden.transport;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;

import java.util.ArrayList;
import java.util.List;

/** The end of a test pipeline: keeps what it reads and the protocol errors that reach it, and closes on one. */
final class Errors extends ChannelInboundHandlerAdapter {
    final List<Object> read = new ArrayList<>();
    final List<ProtocolException> caught = new ArrayList<>();

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        read.add(msg instanceof String ? msg : String.valueOf(msg));
        ReferenceCountUtil.release(msg);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        Throwable t = cause instanceof ProtocolException ? cause : cause.getCause();
        caught.add((ProtocolException) t);
        ctx.close();
    }

    String reasons() {
        return String.join(",", caught.stream().map(ProtocolException::reason).toList());
    }
}
