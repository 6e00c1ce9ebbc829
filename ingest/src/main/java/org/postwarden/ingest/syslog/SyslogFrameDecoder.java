package org.postwarden.ingest.syslog;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.CorruptedFrameException;
import org.postwarden.transport.StrictDecoder;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Frames syslog over TCP (RFC 6587): octet counting ({@code 57 <34>1 ...}) when a frame starts with a digit,
 * otherwise one message per line. Bounded: a counted frame longer than {@code maxMessageBytes} is skipped by its
 * count, a line longer than that is skipped to its newline; both are reported downstream as {@link #TOO_LONG}. A
 * count that is not a number closes the connection ({@link CorruptedFrameException}): the framing is lost, and the
 * rest is discarded ({@link StrictDecoder}). One per channel.
 */
final class SyslogFrameDecoder extends StrictDecoder {
    /** Emitted instead of a frame that was too long. */
    static final Object TOO_LONG = new Object();
    private static final int MAX_DIGITS = 8;
    private final int max;
    private boolean discardingLine;
    private long skipBytes;

    SyslogFrameDecoder(int maxMessageBytes) {
        this.max = maxMessageBytes;
    }

    @Override
    protected void decodeStrictly(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        while (in.isReadable()) {
            if (skipBytes > 0) {
                int n = (int) Math.min(skipBytes, in.readableBytes());
                in.skipBytes(n);
                skipBytes -= n;
                continue;
            }
            int ri = in.readerIndex();
            if (discardingLine) {
                int nl = in.indexOf(ri, in.writerIndex(), (byte) '\n');
                if (nl < 0) {
                    in.skipBytes(in.readableBytes());
                    return;
                }
                in.readerIndex(nl + 1);
                discardingLine = false;
                continue;
            }
            byte first = in.getByte(ri);
            if (first == '\n' || first == '\r' || first == 0) {
                in.skipBytes(1);
                continue;
            }
            if (first >= '1' && first <= '9') {
                int i = ri;
                long len = 0;
                while (i < in.writerIndex() && in.getByte(i) != ' ') {
                    byte b = in.getByte(i);
                    if (b < '0' || b > '9' || i - ri >= MAX_DIGITS) {
                        throw new CorruptedFrameException("syslog frame: bad octet count");
                    }
                    len = len * 10 + (b - '0');
                    i++;
                }
                if (i >= in.writerIndex()) {
                    return;
                }
                if (len > max) {
                    in.readerIndex(i + 1);
                    skipBytes = len;
                    out.add(TOO_LONG);
                    continue;
                }
                if (in.writerIndex() - (i + 1) < len) {
                    return;
                }
                out.add(in.toString(i + 1, (int) len, StandardCharsets.UTF_8));
                in.readerIndex(i + 1 + (int) len);
                continue;
            }
            int limit = (int) Math.min(in.writerIndex(), (long) ri + max + 1);
            int nl = in.indexOf(ri, limit, (byte) '\n');
            if (nl < 0) {
                if (in.readableBytes() > max) {
                    discardingLine = true;
                    out.add(TOO_LONG);
                    continue;
                }
                return;
            }
            int end = nl > ri && in.getByte(nl - 1) == '\r' ? nl - 1 : nl;
            out.add(in.toString(ri, end - ri, StandardCharsets.UTF_8));
            in.readerIndex(nl + 1);
        }
    }
}
