package org.postwarden.policy.codec;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToByteEncoder;

import java.nio.charset.StandardCharsets;

/**
 * Encodes a reply action (e.g. {@code DUNNO}, {@code 450 4.7.1 text}) as {@code action=ACTION\n\n}. CR, LF and
 * other control characters are replaced so a reply can never inject a second line; length is capped at 512 bytes.
 */
@ChannelHandler.Sharable
public final class PolicyReplyEncoder extends MessageToByteEncoder<PolicyReply> {
    static final int MAX_ACTION = 512;

    public PolicyReplyEncoder() {
        super(PolicyReply.class);
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, PolicyReply reply, ByteBuf out) {
        out.writeCharSequence("action=", StandardCharsets.US_ASCII);
        out.writeCharSequence(sanitize(reply.action()), StandardCharsets.UTF_8);
        out.writeCharSequence("\n\n", StandardCharsets.US_ASCII);
    }

    static String sanitize(String action) {
        StringBuilder sb = new StringBuilder(Math.min(action.length(), MAX_ACTION));
        for (int i = 0; i < action.length() && sb.length() < MAX_ACTION; i++) {
            char c = action.charAt(i);
            sb.append(c < 0x20 || c == 0x7F ? ' ' : c);
        }
        return sb.toString();
    }
}
