package org.postwarden.milter;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The listener on a real loopback socket: binding, the Netty pipeline end to end, closing on hostile input. */
class MilterListenerSocketTest {
    MilterListener listener;

    @AfterEach
    void stop() {
        if (listener != null) {
            listener.stop(Duration.ofSeconds(1));
        }
    }

    /** Starts a listener on a free loopback port; {@code milterKeys} are more keys of the milter section. */
    MilterListener start(String milterKeys) throws Exception {
        MilterTestSupport s = new MilterTestSupport("milter: {listen: 127.0.0.1:0" + milterKeys + "}\n");
        listener = new MilterListener(s.context);
        listener.start();
        return listener;
    }

    static final class Client implements AutoCloseable {
        final Socket socket;
        final DataOutputStream out;
        final DataInputStream in;

        Client(InetSocketAddress a) throws IOException {
            socket = new Socket();
            socket.connect(a, 2000);
            socket.setSoTimeout(5000);
            out = new DataOutputStream(socket.getOutputStream());
            in = new DataInputStream(socket.getInputStream());
        }

        void send(char cmd, byte[] payload) throws IOException {
            out.writeInt(payload.length + 1);
            out.writeByte(cmd);
            out.write(payload);
            out.flush();
        }

        char read() throws IOException {
            int len = in.readInt();
            char cmd = (char) in.readUnsignedByte();
            in.skipNBytes(len - 1);
            return cmd;
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    static byte[] optneg() {
        return new byte[] {0, 0, 0, 6, 0, 0, 1, (byte) 0xFF, 0, 0x1F, (byte) 0xFF, (byte) 0xFF};
    }

    static byte[] connect(String ip, int port) {
        byte[] host = ("[" + ip + "]\0").getBytes(StandardCharsets.US_ASCII);
        byte[] addr = (ip + "\0").getBytes(StandardCharsets.US_ASCII);
        byte[] p = new byte[host.length + 3 + addr.length];
        System.arraycopy(host, 0, p, 0, host.length);
        p[host.length] = '4';
        p[host.length + 1] = (byte) (port >> 8);
        p[host.length + 2] = (byte) port;
        System.arraycopy(addr, 0, p, host.length + 3, addr.length);
        return p;
    }

    @Test
    void answersOverARealSocketAndSurvivesAHostileNeighbour() throws Exception {
        MilterListener l = start("");
        try (Client good = new Client(l.boundAddress()); Client bad = new Client(l.boundAddress())) {
            good.send('O', optneg());
            assertEquals('O', good.read());
            bad.out.writeInt(Integer.MAX_VALUE);
            bad.out.write(new byte[] {'B', 1, 2, 3});
            bad.out.flush();
            assertThrows(EOFException.class, bad::read, "the hostile connection is closed");
            good.send('C', connect("192.0.2.44", 4444));
            assertEquals('c', good.read(), "without macros the connect packet's address is used");
            good.send('Q', new byte[0]);
            assertThrows(EOFException.class, good::read, "quit closes");
        }
    }

    @Test
    void aClientOverItsConcurrentSessionsIsRefusedOverTheWire() throws Exception {
        MilterListener l = start(", max-concurrent-per-client: 1");
        try (Client a = new Client(l.boundAddress()); Client b = new Client(l.boundAddress())) {
            for (Client c : new Client[] {a, b}) {
                c.send('O', optneg());
                assertEquals('O', c.read());
            }
            // one after the other: two connections may be served by different event loops, in either order
            a.send('C', connect("192.0.2.45", 1));
            assertEquals('c', a.read());
            b.send('C', connect("192.0.2.45", 2));
            assertEquals('y', b.read());
        }
    }
}
