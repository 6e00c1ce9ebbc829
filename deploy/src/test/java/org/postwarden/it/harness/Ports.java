package org.postwarden.it.harness;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.regex.Pattern;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ports in the end-to-end tests. The rule: a server that can report the port it bound (the daemon, a JDK
 * {@code HttpServer} of the test's) binds port 0 and the test reads the port back; no port is picked in advance for
 * it. Only a third-party server that cannot report its port (Postfix, smtp-sink, unbound, Prometheus) gets a port
 * picked just before it starts ({@link #candidate()}), and its start is retried with freshly picked ports when that
 * port was taken meanwhile ({@link #retryOnBindFailure}).
 */
public final class Ports {

    /** How many times a third-party server is started before a port conflict fails the test. */
    public static final int BIND_ATTEMPTS = 5;

    /** The message with which Linux refuses a bind (Postfix and Java spell it with capitals, Go and unbound not). */
    public static final Pattern ADDRESS_IN_USE = Pattern.compile("address already in use", Pattern.CASE_INSENSITIVE);

    private static final Logger LOG = LoggerFactory.getLogger(Ports.class);

    private Ports() {
    }

    /**
     * One start attempt of a third-party server could not get its pre-picked port: the bind failed, or another
     * process listens on it too. The attempt has stopped whatever it started before throwing.
     */
    public static final class AddressInUse extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public AddressInUse(String message) {
            super(message);
        }
    }

    /** One start attempt; throws {@link AddressInUse} when its port was taken. */
    @FunctionalInterface
    public interface Attempt<T, E extends Exception> {
        T run() throws E;
    }

    /**
     * Runs {@code attempt} (which picks its ports itself, each time anew) until it does not throw
     * {@link AddressInUse}, at most {@link #BIND_ATTEMPTS} times, with a log line per retry.
     */
    public static <T, E extends Exception> T retryOnBindFailure(String what, Attempt<T, E> attempt) throws E {
        for (int i = 1; ; i++) {
            try {
                return attempt.run();
            } catch (AddressInUse e) {
                if (i >= BIND_ATTEMPTS) {
                    throw new IllegalStateException(what + ": port taken at each of " + i + " attempts, last: "
                            + e.getMessage(), e);
                }
                LOG.warn("{}: {}; retrying with other ports (attempt {} of {})", what, e.getMessage(), i + 1,
                        BIND_ATTEMPTS);
                Procs.sleep(Duration.ofMillis(100));
            }
        }
    }

    /**
     * A TCP port on 127.0.0.1 that was free a moment ago, for a third-party server that cannot bind port 0 and
     * report its port. Someone else may take it before the server binds it: start the server through
     * {@link #retryOnBindFailure}.
     */
    public static int candidate() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free loopback port", e);
        }
    }

    /** Like {@link #candidate()}, for UDP. */
    public static int candidateUdp() {
        try (DatagramSocket s = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free loopback UDP port", e);
        }
    }

    /**
     * A TCP port on 127.0.0.1 that nobody listened on a moment ago, for a test that needs a server which is down
     * (a policy service or next hop that refuses connections). Nothing is ever started on it; that another process
     * might bind it later is the accepted small risk of such a test (it would then see a server that is up).
     */
    public static int closedPort() {
        return candidate();
    }

    /** True if {@code text} (a server's log) says that a bind failed because the address is in use. */
    public static boolean saysAddressInUse(String text) {
        return ADDRESS_IN_USE.matcher(text).find();
    }
}
