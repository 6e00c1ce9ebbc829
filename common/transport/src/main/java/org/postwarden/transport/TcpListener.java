package org.postwarden.transport;

import io.netty.channel.socket.SocketChannel;
import org.postwarden.config.HostPort;
import org.postwarden.model.Addresses;
import org.postwarden.runtime.Listener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.time.Duration;

/**
 * A listener that MTAs connect to over TCP (the policy server, the milter): one {@link NettyServer} on the
 * configured address, a warning when that address is not loopback, and the graceful stop that waits for the
 * listener's work in flight. A subclass builds each connection's pipeline and says what is in flight.
 */
public abstract class TcpListener implements Listener {
    private static final Logger LOG = LoggerFactory.getLogger(TcpListener.class);
    private final String name;
    private final String listen;
    private final String inFlightWhat;
    private NettyServer server;
    private InetSocketAddress bound;

    /**
     * @param name         bounded listener name, e.g. {@code policy}
     * @param listen       {@code host:port} from the start-up config (port 0: any free port)
     * @param inFlightWhat what {@link #inFlight()} counts, for the stop warning, e.g. {@code unanswered requests}
     */
    protected TcpListener(String name, String listen, String inFlightWhat) {
        this.name = name;
        this.listen = listen;
        this.inFlightWhat = inFlightWhat;
    }

    /** Builds one accepted connection's pipeline; runs on the connection's event loop and must not block. */
    protected abstract void initChannel(SocketChannel channel);

    /** The work a reply still waits for, over all connections; the stop waits for it to reach zero. */
    protected abstract int inFlight();

    @Override
    public final String name() {
        return name;
    }

    /** Binds the address (a subclass that overrides this sets up what its pipelines share first, then calls it). */
    @Override
    public void start() {
        HostPort hp = HostPort.parse(listen);
        server = NettyServer.create(name);
        try {
            bound = server.bindTcp(hp.socketAddress(), this::initChannel);
        } catch (Exception e) { // a BindException too, which Netty throws undeclared
            throw org.postwarden.runtime.StartupFailure.of(name + ".listen", listen, e);
        }
        if (!hp.loopback()) {
            LOG.warn("{} listener bound to non-loopback address {}: make sure only your MTAs can reach it", name,
                    bound);
        }
    }

    /** The bound address (useful when configured with port 0); null before {@link #start()}. */
    public final InetSocketAddress boundAddress() {
        return bound;
    }

    @Override
    public final String address() {
        return Addresses.format(bound);
    }

    @Override
    public final void stop(Duration grace) {
        if (server != null) {
            server.stop(grace, this::inFlight, inFlightWhat);
        }
    }
}
