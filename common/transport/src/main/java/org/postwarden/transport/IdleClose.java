package org.postwarden.transport;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import org.postwarden.model.Addresses;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Closes a connection on which nothing was read or written for {@code timeout}, with a debug line
 * {@code closing idle <what> connection from <peer>}. The idle event is consumed here, not passed on. One instance
 * per connection (the timer state is the connection's); runs on the connection's event loop.
 */
public final class IdleClose extends IdleStateHandler {
    private static final Logger LOG = LoggerFactory.getLogger(IdleClose.class);
    private final String what;

    /**
     * @param what    what the connection is, for the log line, e.g. {@code policy} or {@code syslog TCP}
     * @param timeout how long a connection may be idle (above zero)
     */
    public IdleClose(String what, Duration timeout) {
        super(0, 0, positive(timeout), TimeUnit.MILLISECONDS);
        this.what = what;
    }

    private static long positive(Duration timeout) {
        if (timeout.toMillis() <= 0) {
            throw new IllegalArgumentException("idle timeout: " + timeout + " (expected: above 0)");
        }
        return timeout.toMillis();
    }

    @Override
    protected void channelIdle(ChannelHandlerContext ctx, IdleStateEvent evt) {
        LOG.debug("closing idle {} connection from {}", what, Addresses.format(ctx.channel().remoteAddress()));
        ctx.close();
    }
}
