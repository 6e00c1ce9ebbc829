package org.postwarden.milter;

import io.netty.channel.socket.SocketChannel;
import org.postwarden.runtime.DaemonContext;
import org.postwarden.transport.TcpListener;

/** The milter listener (default {@code 127.0.0.1:10034}). */
public final class MilterListener extends TcpListener {
    private final DaemonContext context;
    private MilterPipeline pipeline;

    public MilterListener(DaemonContext context) {
        super("milter", context.startConfig().milter().listen(), "undecided commands");
        this.context = context;
    }

    @Override
    public void start() {
        JmilterLogging.install();
        pipeline = new MilterPipeline(context);
        super.start();
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        pipeline.init(ch.pipeline());
    }

    /** What the connections share (for tests); null before {@link #start()}. */
    public MilterPipeline pipeline() {
        return pipeline;
    }

    @Override
    protected int inFlight() {
        return pipeline == null ? 0 : pipeline.inFlight();
    }
}
