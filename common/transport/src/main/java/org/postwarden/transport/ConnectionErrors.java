package org.postwarden.transport;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.DecoderException;
import org.postwarden.metrics.PostwardenMetrics;
import org.postwarden.model.Addresses;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;

/**
 * What a listener does with an exception that reaches the end of a connection's pipeline: a
 * {@link ProtocolException} (also wrapped once in a {@link DecoderException}) is counted in
 * {@code postwarden_protocol_errors_total{listener,reason}} and logged with its message and sample; an
 * {@link IOException} (a peer that went away) is logged at debug only; anything else is a bug, counted with reason
 * {@code internal} and logged with its stack trace. Then the connection is closed: only that one. Thread-safe.
 */
public final class ConnectionErrors {
    private static final Logger LOG = LoggerFactory.getLogger(ConnectionErrors.class);
    private final String listener;
    private final PostwardenMetrics metrics;

    /** @param listener bounded listener name for the metric label and the log line, e.g. {@code policy} */
    public ConnectionErrors(String listener, PostwardenMetrics metrics) {
        this.listener = listener;
        this.metrics = metrics;
    }

    /** Logs and counts {@code cause} as described above, then closes the connection. */
    public void close(ChannelHandlerContext ctx, Throwable cause) {
        Throwable t = cause;
        if (t instanceof DecoderException && t.getCause() instanceof ProtocolException p) {
            t = p;
        }
        if (t instanceof ProtocolException p) {
            metrics.protocolError(listener, p.reason());
            LOG.warn("closing {} connection from {}: {} (sample: \"{}\")", listener, Addresses.format(ctx.channel().remoteAddress()),
                    p.getMessage(), p.sample());
        } else if (t instanceof IOException) {
            LOG.debug("{} connection from {} failed: {}", listener, Addresses.format(ctx.channel().remoteAddress()), t.toString());
        } else {
            metrics.protocolError(listener, "internal");
            LOG.error("closing {} connection from {} after an internal error", listener,
                    ctx.channel().remoteAddress(), t);
        }
        ctx.close();
    }
}
