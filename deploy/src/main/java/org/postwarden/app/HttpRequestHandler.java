package org.postwarden.app;

import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Function;

/**
 * The end of an HTTP connection's pipeline: one whole request at a time (reading stops while it is answered, so
 * pipelined requests are answered in order and a client that sends many waits for its answers), answered on the
 * event loop when {@code inline} has a cheap answer ({@code /healthz}, {@code /readyz}, {@code /metrics}), else on
 * the listener's worker pool (the admin API and the console may read files and run commands). A full pool is
 * answered 503 at once. One instance per connection.
 */
final class HttpRequestHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private static final Logger LOG = LoggerFactory.getLogger(HttpRequestHandler.class);
    /** Set on a connection that carries a streamed answer (reading goes on, to see the client close it). */
    private static final io.netty.util.AttributeKey<Boolean> STREAMING =
            io.netty.util.AttributeKey.valueOf("postwarden.http-streaming");
    private final HttpDeadline deadline;
    private final Function<HttpCall, HttpAnswer> inline;
    private final Function<HttpCall, HttpAnswer> worker;
    private final Executor pool;

    HttpRequestHandler(HttpDeadline deadline, Function<HttpCall, HttpAnswer> inline,
            Function<HttpCall, HttpAnswer> worker, Executor pool) {
        this.deadline = deadline;
        this.inline = inline;
        this.worker = worker;
        this.pool = pool;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
        deadline.complete();
        if (ctx.channel().hasAttr(STREAMING)) {
            return; // a streamed answer owns the connection: nothing more is answered on it (it closes with it)
        }
        boolean keepAlive = HttpUtil.isKeepAlive(req);
        boolean head = "HEAD".equals(req.method().name());
        if (req.decoderResult().isFailure()) {
            write(ctx.channel(), HttpAnswer.text(400, "bad request\n").closing(), false, false);
            return;
        }
        String uri = req.uri();
        int q = uri.indexOf('?');
        String path;
        try {
            path = QueryStringDecoder.decodeComponent(q < 0 ? uri : uri.substring(0, q), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            write(ctx.channel(), HttpAnswer.text(400, "malformed path\n"), keepAlive, head);
            return;
        }
        HttpCall call = new HttpCall(req.method().name(), path, q < 0 ? null : uri.substring(q + 1),
                req.headers(), (InetSocketAddress) ctx.channel().remoteAddress(), ByteBufUtil.getBytes(req.content()));
        HttpAnswer now = inline.apply(call);
        if (now != null) {
            write(ctx.channel(), now, keepAlive, head);
            return;
        }
        Channel ch = ctx.channel();
        ch.config().setAutoRead(false);
        try {
            pool.execute(() -> {
                HttpAnswer a;
                try {
                    a = worker.apply(call);
                } catch (RuntimeException e) {
                    LOG.error("http {} {} failed", call.method(), call.path(), e);
                    a = HttpAnswer.text(500, "internal error\n");
                }
                write(ch, a, keepAlive, head);
            });
        } catch (RejectedExecutionException e) {
            write(ch, HttpAnswer.text(503, "busy: too many requests in progress\n").with("Retry-After", "1"),
                    keepAlive, head);
        }
    }

    /** Writes {@code a} (from any thread) and reads the next request, or closes. */
    static void write(Channel ch, HttpAnswer a, boolean keepAlive, boolean head) {
        HttpResponseStatus status = HttpResponseStatus.valueOf(a.status());
        if (a.stream() != null) {
            HttpResponse r = new DefaultHttpResponse(HttpVersion.HTTP_1_1, status);
            headers(r, a);
            r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            ch.attr(STREAMING).set(Boolean.TRUE);
            ch.pipeline().remove("idle");
            ch.writeAndFlush(r);
            ch.config().setAutoRead(true);
            a.stream().accept(new Sink(ch));
            return;
        }
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(a.body()));
        headers(r, a);
        r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, a.body().length);
        boolean close = !keepAlive || a.close();
        if (close) {
            r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            ch.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
        } else {
            ch.writeAndFlush(r);
            ch.config().setAutoRead(true);
        }
    }

    private static void headers(HttpResponse r, HttpAnswer a) {
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, a.type());
        r.headers().set("X-Content-Type-Options", "nosniff");
        for (Map.Entry<String, String> h : a.headers().entrySet()) {
            r.headers().set(h.getKey(), h.getValue());
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.debug("http connection from {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
        ctx.close();
    }

    /** A streamed body on {@code ch}: chunks are dropped while the channel is not writable (its buffer is full). */
    private record Sink(Channel ch) implements HttpAnswer.EventSink {
        @Override
        public boolean send(String text) {
            if (!ch.isActive() || !ch.isWritable()) {
                return false;
            }
            ch.writeAndFlush(new DefaultHttpContent(Unpooled.copiedBuffer(text, StandardCharsets.UTF_8)));
            return true;
        }

        @Override
        public boolean open() {
            return ch.isActive();
        }

        @Override
        public void onClose(Runnable r) {
            ch.closeFuture().addListener(f -> r.run());
        }
    }
}
