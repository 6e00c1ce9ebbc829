package org.postwarden.authpolicy.codec;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageEncoder;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;

import java.nio.charset.StandardCharsets;
import java.util.List;

/** {@link AuthPolicyReply} → a 200 response with the JSON Dovecot reads. Stateless; shared by all connections. */
@ChannelHandler.Sharable
public final class AuthPolicyReplyEncoder extends MessageToMessageEncoder<AuthPolicyReply> {
    public AuthPolicyReplyEncoder() {
        super(AuthPolicyReply.class);
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, AuthPolicyReply r, List<Object> out) {
        String json = "{\"status\":" + r.status() + ",\"msg\":\"" + escape(r.message()) + "\"}";
        out.add(response(ctx, HttpResponseStatus.OK, json, r.keepAlive()));
    }

    /** A JSON response of {@code status} with {@code json} as its body. */
    public static FullHttpResponse response(ChannelHandlerContext ctx, HttpResponseStatus status, String json,
            boolean keepAlive) {
        byte[] b = json.getBytes(StandardCharsets.UTF_8);
        ByteBuf body = ctx.alloc().buffer(b.length).writeBytes(b);
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, body);
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, b.length)
                .set(HttpHeaderNames.CONNECTION, keepAlive ? HttpHeaderValues.KEEP_ALIVE : HttpHeaderValues.CLOSE);
        return res;
    }

    /** {@code s} as the inside of a JSON string. */
    public static String escape(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 8);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                default -> {
                    if (c < 0x20 || c == 0x7f) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.toString();
    }
}
